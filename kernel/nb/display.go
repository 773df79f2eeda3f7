package nb

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/kernel/nb/cellrt"
	"github.com/gokernel/gokernel/kernel/nb/wire"
)

// output, when set, replaces os.Stdout as the place displays go (tests set
// it). Displays normally go to the cell's stdout, shared with fmt.Print, so
// that frames and printed text keep their order; os.Stdout is read at each
// display because a program (or a godoc example) may replace it.
var output io.Writer

func out() io.Writer {
	if output != nil {
		return output
	}
	return os.Stdout
}

// underKernel reports whether frames are understood by whoever reads stdout.
// It is read on every display (not cached) so a test can switch it.
func underKernel() bool { return os.Getenv(wire.EnvKernel) == "1" }

// Bundle is a ready-made MIME bundle: MIME type -> content. Displaying it
// shows exactly these forms, e.g.
//
//	nb.Display(nb.Bundle{"text/html": "<b>hi</b>", "text/plain": "hi"})
//
// Content is a string, except for JSON types (application/json and
// */*+json), whose content is JSON data (maps, slices, numbers...).
type Bundle map[string]any

// MIMEBundle returns b itself; it makes a Bundle display as its own forms.
func (b Bundle) MIMEBundle() map[string]any { return b }

// bundleOf is the MIME bundle showing v, with a text/plain fallback always
// present. Displays and cell results follow the same rules (cellrt.Bundle).
func bundleOf(v any) map[string]any {
	if b, ok := v.(Bundle); ok {
		out := make(map[string]any, len(b)+1)
		for k, x := range b {
			out[k] = x
		}
		if _, ok := out["text/plain"]; !ok {
			out["text/plain"] = describeBundle(b)
		}
		return out
	}
	return cellrt.Bundle(v)
}

// describeBundle is the plain-text stand-in for a bundle without one.
func describeBundle(b Bundle) string {
	for _, k := range []string{"text/markdown", "text/html", "image/svg+xml", "image/png", "image/jpeg", "application/json"} {
		if _, ok := b[k]; ok {
			return "<" + k + " output>"
		}
	}
	return "<rich output>"
}

// show writes one display frame, or the plain text when not under the kernel.
func show(data map[string]any, id string, update bool) {
	if !underKernel() {
		fmt.Fprintln(out(), data["text/plain"])
		return
	}
	f := wire.Frame{Kind: wire.KindDisplay, Data: data, DisplayID: id, Update: update}
	if err := wire.Write(out(), f); err != nil {
		fmt.Fprintf(os.Stderr, "nb: display: %v\n", err)
	}
}

// Display shows v in the cell's output in its richest form: the forms v
// offers through HTML, SVG, Markdown or MIMEBundle methods, with its %v text
// as the plain fallback (a string is shown quoted, as for a cell's value).
func Display(v any) { show(bundleOf(v), "", false) }

// HTML shows s as HTML. The plain-text fallback (what `gokernel run` prints
// in a terminal) is the text of s without its tags.
func HTML(s string) {
	show(map[string]any{"text/html": s, "text/plain": htmlText(s)}, "", false)
}

// htmlText is a rough plain-text reading of an HTML fragment: tags dropped
// (with the content of script and style elements), entities decoded, runs
// of white space made one space. "<HTML output>" if nothing is left.
func htmlText(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		j := strings.IndexByte(s, '>')
		if j < 0 {
			b.WriteString(s)
			break
		}
		tag := strings.ToLower(s[1:j])
		s = s[j+1:]
		for _, skip := range []string{"script", "style"} {
			if strings.HasPrefix(tag, skip) {
				if k := strings.Index(strings.ToLower(s), "</"+skip); k >= 0 {
					s = s[k:]
				}
			}
		}
		// Block-level tags separate words.
		if name := strings.TrimPrefix(strings.Fields(tag + " ")[0], "/"); blockTags[name] {
			b.WriteByte(' ')
		}
	}
	text := strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
	if text == "" {
		return "<HTML output>"
	}
	return text
}

var blockTags = map[string]bool{"br": true, "p": true, "div": true, "li": true, "tr": true, "td": true, "th": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "table": true, "ul": true, "ol": true, "pre": true}

// Markdown shows s rendered as Markdown; the plain fallback is s itself.
func Markdown(s string) {
	show(map[string]any{"text/markdown": s, "text/plain": s}, "", false)
}

// SVG shows s, the text of an SVG image.
func SVG(s string) {
	show(map[string]any{"image/svg+xml": s, "text/plain": "<SVG image>"}, "", false)
}

// PNG shows b, the bytes of a PNG image.
func PNG(b []byte) { showImage("image/png", b) }

// JPEG shows b, the bytes of a JPEG image.
func JPEG(b []byte) { showImage("image/jpeg", b) }

func showImage(mime string, b []byte) {
	show(map[string]any{
		mime:         base64.StdEncoding.EncodeToString(b),
		"text/plain": fmt.Sprintf("<%s image, %d bytes>", mime, len(b)),
	}, "", false)
}

// JSON shows v as JSON data (application/json), which front ends draw as a
// collapsible tree; the plain fallback is the indented JSON text. A value
// encoding/json cannot marshal is shown as an error message on stderr.
func JSON(v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nb.JSON: %v\n", err)
		return
	}
	var data any
	if err := json.Unmarshal(raw, &data); err != nil {
		fmt.Fprintf(os.Stderr, "nb.JSON: %v\n", err)
		return
	}
	indented, _ := json.MarshalIndent(v, "", "  ")
	show(map[string]any{"application/json": data, "text/plain": string(indented)}, "", false)
}

// Text shows s as plain text, as is (unlike Display, without quotes).
func Text(s string) { show(map[string]any{"text/plain": s}, "", false) }

// ClearOutput clears the cell's output so far. With wait, the front end
// clears it only when the next output arrives, which avoids flicker when
// redrawing.
func ClearOutput(wait bool) {
	if !underKernel() {
		return
	}
	if err := wire.Write(out(), wire.Frame{Kind: wire.KindClear, Wait: wait}); err != nil {
		fmt.Fprintf(os.Stderr, "nb: clear output: %v\n", err)
	}
}

// DisplayHandle is a display that can be updated in place.
type DisplayHandle struct{ id string }

var displaySeq atomic.Uint64

// newDisplayID returns an id unique across the processes of a cell (child
// processes display too): pid, start time and a counter.
func newDisplayID() string {
	return "gokernel-" + strconv.Itoa(os.Getpid()) + "-" +
		strconv.FormatInt(startTime.UnixNano()%1e9, 36) + "-" +
		strconv.FormatUint(displaySeq.Add(1), 10)
}

var startTime = time.Now()

// NewDisplay shows v as Display does and returns a handle to update it.
func NewDisplay(v any) *DisplayHandle {
	h := &DisplayHandle{id: newDisplayID()}
	show(bundleOf(v), h.id, false)
	return h
}

// Update replaces what the display shows with v (update_display_data). Run
// outside the kernel it prints v's text.
func (h *DisplayHandle) Update(v any) { show(bundleOf(v), h.id, true) }

// ID returns the display_id of the handle.
func (h *DisplayHandle) ID() string { return h.id }
