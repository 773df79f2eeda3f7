package clienttest

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

// This file compares what JupyterLab shows in each code cell of a lesson after Run All
// (lab_ui.js reads the output areas) with the outputs nbclient stored for the same lesson.
// The lessons measure time and race goroutines, so two runs differ in numbers and in the
// order of lines printed by concurrent goroutines: text is compared line by line after
// masking numbers (with their units) and sorting the lines. Error tracebacks list where
// each goroutine was, which depends on timing too: of an error, its name and headline
// ("Deadlock: all goroutines are asleep...") must be shown, and goroutine states
// ([sleep], [running]) are masked too. Two more kinds of difference are the lessons' own
// subject, not JupyterLab's: goroutines printing at once split and join lines differently
// ("Hello World!Hello World!\n\n"), so text with the same characters in another order
// matches; and a cell that ends with goroutines still running (the kernel says so on
// stderr) stops them at a moment that differs between runs, so one run's lines need only
// be among the other's. The same holds for a cell tagged output-varies: a lesson shows a
// race on purpose (lesson 5's `while not q.empty()` and its Go twin get none of the 5
// items on a quiet machine, all of them when the parent is held up), and what it prints is the race's.

// labNotebook is one notebook as lab_ui.js's lessons scenario reports it.
type labNotebook struct {
	Notebook string  `json:"notebook"`
	Seconds  float64 `json:"seconds"`
	Done     bool    `json:"done"`
	Status   struct {
		Indicator string `json:"indicator"`
		Statusbar string `json:"statusbar"`
	} `json:"status"`
	Cells []labCell `json:"cells"`
}

type labCell struct {
	Prompt  string      `json:"prompt"`
	Outputs []labOutput `json:"outputs"`
}

// labOutput is one rendered output: its MIME type (data-mime-type), its text, and for
// images whether one is there, loaded, and its size on the page.
type labOutput struct {
	Mime   string `json:"mime"`
	Text   string `json:"text"`
	Image  int    `json:"image"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Loaded bool   `json:"loaded"`
}

// refCell is a code cell's outputs as nbclient stored them.
type refCell struct {
	Stdout, Stderr string // all stream text by name
	Result         string // text/plain of results without an image
	Errors         []refError
	Images         int  // outputs with an image/svg+xml or image/png
	Varies         bool // tagged output-varies: its output is a race's outcome
}

// outputVariesTag marks a lesson cell whose output depends on timing by design.
const outputVariesTag = "output-varies"

// readNotebookOutputs reads the code cells of an executed notebook.
func readNotebookOutputs(path string) ([]refCell, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb struct {
		Cells []struct {
			CellType string `json:"cell_type"`
			Metadata struct {
				Tags []string `json:"tags"`
			} `json:"metadata"`
			Outputs []struct {
				OutputType string                     `json:"output_type"`
				Name       string                     `json:"name"`
				Text       multiline                  `json:"text"`
				Data       map[string]json.RawMessage `json:"data"`
				Ename      string                     `json:"ename"`
				Evalue     string                     `json:"evalue"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, err
	}
	var cells []refCell
	for _, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		r := refCell{Varies: slices.Contains(c.Metadata.Tags, outputVariesTag)}
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "stream":
				if o.Name == "stderr" {
					r.Stderr += string(o.Text)
				} else {
					r.Stdout += string(o.Text)
				}
			case "error":
				r.Errors = append(r.Errors, refError{o.Ename, o.Evalue})
			case "execute_result", "display_data":
				_, svg := o.Data["image/svg+xml"]
				_, png := o.Data["image/png"]
				if svg || png {
					r.Images++
				} else if raw, ok := o.Data["text/plain"]; ok {
					var text multiline
					if err := json.Unmarshal(raw, &text); err != nil {
						return nil, err
					}
					r.Result += string(text)
				}
			}
		}
		cells = append(cells, r)
	}
	return cells, nil
}

// refError is an error output's name and value.
type refError struct{ Name, Value string }

// multiline is nbformat's text: a string or a list of lines.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var lines []string
	if err := json.Unmarshal(b, &lines); err == nil {
		*m = multiline(strings.Join(lines, ""))
		return nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	*m = multiline(s)
	return err
}

// compareLabNotebook lists the differences between a notebook run in JupyterLab and the
// same notebook run by nbclient; none when JupyterLab shows what nbclient got.
func compareLabNotebook(lab labNotebook, want []refCell) []string {
	var probs []string
	if !lab.Done {
		probs = append(probs, "Run All did not finish: cells left without a count (one still waiting or running, or aborted after a failed cell; the driver log names them)")
	}
	if lab.Status.Indicator != "idle" {
		probs = append(probs, fmt.Sprintf("kernel indicator reads %q, want idle", lab.Status.Indicator))
	}
	if len(lab.Cells) != len(want) {
		return append(probs, fmt.Sprintf("%d code cells in JupyterLab, %d in nbclient's notebook", len(lab.Cells), len(want)))
	}
	for i, w := range want {
		for _, p := range compareLabCell(lab.Cells[i], w) {
			probs = append(probs, fmt.Sprintf("code cell %d: %s", i+1, p))
		}
	}
	return probs
}

func compareLabCell(c labCell, w refCell) []string {
	var probs []string
	if !promptPattern.MatchString(c.Prompt) {
		probs = append(probs, fmt.Sprintf("prompt %q: not executed", c.Prompt))
	}
	var stdout, stderr, result strings.Builder
	images := 0
	for _, o := range c.Outputs {
		switch {
		case o.Mime == "application/vnd.jupyter.stdout":
			stdout.WriteString(o.Text)
		case o.Mime == "application/vnd.jupyter.stderr":
			stderr.WriteString(o.Text)
		case o.Mime == "text/plain":
			result.WriteString(o.Text)
		case strings.HasPrefix(o.Mime, "image/"):
			images++
			if o.Image == 0 || !o.Loaded || o.Width == 0 || o.Height == 0 {
				probs = append(probs, fmt.Sprintf("%s output not visible: image %d, loaded %v, %dx%d px", o.Mime, o.Image, o.Loaded, o.Width, o.Height))
			}
		default:
			probs = append(probs, fmt.Sprintf("unexpected output %s: %.200q", o.Mime, o.Text))
		}
	}
	stillRunning := strings.Contains(w.Stderr, stillRunningNote) || strings.Contains(stderr.String(), stillRunningNote)
	racy := stillRunning || w.Varies
	// A cell that ends in a data race printed what its racing goroutines
	// happened to leave (lesson 3's check counts lost updates, or none):
	// only the race itself is the same from run to run.
	dataRace := slices.ContainsFunc(w.Errors, func(e refError) bool { return e.Name == "DataRace" })
	if d := lineDiff(w.Stdout, stdout.String(), racy); d != "" && !dataRace {
		probs = append(probs, "stdout: "+d)
	}
	if d := lineDiff(w.Result, result.String(), false); d != "" {
		probs = append(probs, "result: "+d)
	}
	// stderr streams line by line; of each error, its headline. Goroutines left running
	// are listed as they were when stopped: then the note itself must be there.
	wantErr := maskedLines(w.Stderr)
	if stillRunning {
		wantErr = maskedLines(w.Stderr[:strings.Index(w.Stderr+stillRunningNote, stillRunningNote)] + stillRunningNote)
	}
	haveErr := maskedLines(stderr.String())
	for _, e := range w.Errors {
		// A compile error's traceback is the compiler's message with the source line and a
		// caret, without the name: then its value must be shown.
		head := maskedLines(e.Name + ": " + e.Value)
		if len(missingLines(head, haveErr)) > 0 && e.Name == "CompileError" {
			head = maskedLines(e.Value)
		}
		wantErr = append(wantErr, head...)
	}
	if missing := missingLines(wantErr, haveErr); len(missing) > 0 {
		probs = append(probs, fmt.Sprintf("stderr lacks %q; shows %.600q", missing, stderr.String()))
	}
	if w.Stderr == "" && len(w.Errors) == 0 && len(maskedLines(stderr.String())) > 0 {
		probs = append(probs, fmt.Sprintf("stderr %.300q where nbclient got none", stderr.String()))
	}
	if images != w.Images {
		probs = append(probs, fmt.Sprintf("%d images, nbclient got %d", images, w.Images))
	}
	return probs
}

var promptPattern = regexp.MustCompile(`^\[\d+\]:$`)

// stillRunningNote ends the kernel's first stderr line when a cell's main returned while
// goroutines still ran ("1 goroutine still running when the cell finished:").
const stillRunningNote = "still running when the cell finished:"

// buildNotice starts the line the kernel prints on stderr while it compiles packages a
// cell needs for the first time: whether it appears depends on the Go build cache.
const buildNotice = "gokernel: compiling "

// moduleCacheNotices start the lines go get prints only when the module cache lacks the
// module (two kernels fetching it at once: whichever comes first downloads it), or when
// the workspace's go line is still short.
var moduleCacheNotices = []string{"go: downloading ", "go: upgraded go "}

// goroutineState matches the state of a goroutine in a listing: "goroutine 7 [sleep]:".
var goroutineState = regexp.MustCompile(`(goroutines? #) \[[^\]]*\]`)

// numberPattern matches a number with its unit, if any: durations, sizes, ratios, counts.
var numberPattern = regexp.MustCompile(`\d[\d.,_]*(ns|µs|us|ms|s|m|h|KiB|MiB|GiB|kB|MB|GB|B|x|%)?`)

var spaces = regexp.MustCompile(`\s+`)

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// maskedLines splits text into its non-blank lines with numbers masked and runs of
// spaces collapsed (aligned columns move with the numbers' widths), sorted.
func maskedLines(text string) []string {
	var out []string
	for _, line := range strings.Split(ansiEscape.ReplaceAllString(text, ""), "\n") {
		if strings.HasPrefix(line, buildNotice) || slices.ContainsFunc(moduleCacheNotices, func(p string) bool { return strings.HasPrefix(line, p) }) {
			continue // the build or module cache's state, not the cell's output
		}
		line = numberPattern.ReplaceAllString(line, "#")
		line = goroutineState.ReplaceAllString(line, "$1 [state]")
		line = strings.ReplaceAll(line, "# goroutines ", "# goroutine ") // the plural follows the number
		line = strings.TrimSpace(spaces.ReplaceAllString(line, " "))
		if line != "" {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

// lineDiff says how two texts differ once masked, or "" when they do not: the same lines
// in any order, or the same characters split into lines differently, or the same lines
// repeated a different number of times (a loop that times out until something arrives
// prints its timeout line as often as the machine's speed lets it), or (racy) one's lines
// among the other's.
func lineDiff(want, have string, racy bool) string {
	w, h := maskedLines(want), maskedLines(have)
	if slices.Equal(w, h) || sortedChars(w) == sortedChars(h) || slices.Equal(slices.Compact(slices.Clone(w)), slices.Compact(slices.Clone(h))) {
		return ""
	}
	if racy && (len(missingLines(w, h)) == 0 || len(missingLines(h, w)) == 0) {
		return ""
	}
	return fmt.Sprintf("lacks %q, has extra %q (nbclient: %.300q; JupyterLab: %.300q)",
		missingLines(w, h), missingLines(h, w), want, have)
}

// sortedChars is the characters of lines but blanks, sorted.
func sortedChars(lines []string) string {
	var r []rune
	for _, l := range lines {
		for _, c := range l {
			if c != ' ' {
				r = append(r, c)
			}
		}
	}
	slices.Sort(r)
	return string(r)
}

// missingLines lists the lines of want (a multiset) not found in have.
func missingLines(want, have []string) []string {
	left := slices.Clone(have)
	var missing []string
	for _, l := range want {
		if i := slices.Index(left, l); i >= 0 {
			left = slices.Delete(left, i, i+1)
		} else {
			missing = append(missing, l)
		}
	}
	return missing
}
