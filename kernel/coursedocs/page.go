package coursedocs

import (
	"fmt"
	"html"
	"path"
	"regexp"
	"strings"
)

// Stylesheet is the file, in the docs folder, holding the style nbconvert
// puts in every page (over half a megabyte of JupyterLab's theme): written
// once instead of in each of the pages.
const Stylesheet = "nbconvert.css"

// The meta tags a page records its source in.
const (
	metaSource = "gokernel-source"
	metaHash   = "gokernel-source-sha256"
)

var (
	styleBlock = regexp.MustCompile(`(?s)<style[^>]*>(.*?)</style>\s*`)
	// Debian's nbconvert points require.js and MathJax at the build
	// machine's /usr/share/javascript, which no visitor has: dropped.
	localScript = regexp.MustCompile(`<script[^>]*src="file://[^"]*"[^>]*>\s*</script>\s*`)
	titleTag    = regexp.MustCompile(`(?s)<title>.*?</title>`)
	bodyTag     = regexp.MustCompile(`<body[^>]*>`)
	metaTag     = regexp.MustCompile(`<meta name="([^"]+)" content="([^"]*)"`)
)

// pageInfo is what finishPage writes into a page.
type pageInfo struct {
	lesson    Lesson
	hash      string
	title     string
	other     string // the page of the same lesson in the other language, "" if none
	sharedCSS string // the stylesheet's content; a page whose style differs keeps its own
}

// pageStyle returns the content of a page's style blocks, joined.
func pageStyle(page string) string {
	var css []string
	for _, m := range styleBlock.FindAllStringSubmatch(page, -1) {
		css = append(css, m[1])
	}
	return strings.Join(css, "\n")
}

// finishPage turns nbconvert's page into the docs page.
func finishPage(page string, p pageInfo) string {
	up := strings.Repeat("../", strings.Count(p.lesson.Page, "/")) // from the page to the docs folder
	if pageStyle(page) == p.sharedCSS {
		first := true
		page = styleBlock.ReplaceAllStringFunc(page, func(string) string {
			if first {
				first = false
				return fmt.Sprintf("<link rel=\"stylesheet\" href=\"%s%s\">\n", up, Stylesheet)
			}
			return ""
		})
	}
	page = localScript.ReplaceAllString(page, "")
	head := fmt.Sprintf("<title>%s</title>\n<meta name=\"%s\" content=\"%s\">\n<meta name=\"%s\" content=\"%s\">",
		html.EscapeString(p.title), metaSource, html.EscapeString(path.Clean(strings.ReplaceAll(p.lesson.Source, "\\", "/"))), metaHash, p.hash)
	page = titleTag.ReplaceAllLiteralString(page, head)
	nav := fmt.Sprintf(`<nav style="max-width:1000px;margin:0.5em auto;font-family:system-ui,sans-serif"><a href="%sindex.html">%s</a>`, up, map[string]string{"en": "All lessons", "zh": "全部课程"}[p.lesson.Lang])
	if p.other != "" {
		label := map[string]string{"en": "中文", "zh": "English"}[p.lesson.Lang]
		nav += fmt.Sprintf(` · <a href="%s%s">%s</a>`, up, p.other, label)
	}
	nav += "</nav>"
	if loc := bodyTag.FindStringIndex(page); loc != nil {
		page = page[:loc[1]] + "\n" + nav + page[loc[1]:]
	}
	return page
}

// pageMeta reads the meta tags of a page.
func pageMeta(page string) map[string]string {
	meta := map[string]string{}
	for _, m := range metaTag.FindAllStringSubmatch(page, -1) {
		meta[m[1]] = html.UnescapeString(m[2])
	}
	return meta
}

var (
	tag   = regexp.MustCompile(`(?s)<[^>]*>`)
	space = regexp.MustCompile(`\s+`)
)

// pageText is the text a visitor reads, whitespace collapsed, for finding a
// cell's code in a page whose code is split into highlighted spans.
func pageText(page string) string {
	page = styleBlock.ReplaceAllString(page, " ")
	return collapse(html.UnescapeString(tag.ReplaceAllString(page, "")))
}

func collapse(s string) string { return strings.TrimSpace(space.ReplaceAllString(s, " ")) }
