package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gokernel/gokernel/kernel/interp"
)

// settings are what magics can change. The engine keeps the notebook's
// defaults; each cell starts from a copy and its magics may change either.
type settings struct {
	Race    bool
	Timeout time.Duration
	Limits  Limits
	// NoVet silences go vet's warnings (vet.go); the zero value has them.
	NoVet bool
	// Time prints, after the cell, how long its program ran and the CPU it
	// used (%time); a cell's own setting, never a notebook default.
	Time bool
}

// splitCell is a cell with its magics pulled out.
type splitCell struct {
	// Code is the Go text of the cell with every magic line blanked, so line
	// and column numbers stay those of the cell.
	Code string
	// Cell are this cell's settings (notebook defaults plus this cell's magics).
	Cell settings
	// Notebook are the notebook's defaults after this cell's magics.
	Notebook settings
	// Notes is text the magics print (e.g. %help), in order.
	Notes []string
	// Run, when a magic sets it, runs the cell instead of the Go pipeline
	// (a cell magic such as %%bash running its body, `!cmd` lines, `name?`
	// help). Its error is shown like a failed cell's when it is an
	// *interp.Error; a nil result is an empty one.
	Run func(ctx context.Context, e *Engine, out interp.Output) (*interp.ExecuteResult, error)
	// Effects are what line magics with side effects (%cd, %env, %reset ...)
	// do, in order, before the cell's code runs. split itself changes
	// nothing: the language questions (complete, inspect) split cells too.
	Effects []func(ctx context.Context, e *Engine, out interp.Output) error
}

// magic is one entry of the magic table. Line magics (%name args) may appear
// on any line that is not inside a string or comment; cell magics (%%name)
// must be the first line and take the whole cell.
type magic struct {
	Name  string
	Usage string // "%timeout [default] DURATION"
	Short string // one line for %help
	Cell  bool   // %%name: Apply receives the rest of the cell as body
	// Apply carries out the magic on the cell being split.
	Apply func(c *magicCall) error
}

// magicCall is one use of a magic.
type magicCall struct {
	Args string     // text after the name, trimmed
	Line int        // 1-based line of the magic in the cell
	Body string     // cell magics: the cell after the %%name line
	Out  *splitCell // the cell being split: settings to change, notes to print
}

// magics is the table of known magics, looked up by name. The state magics
// are in magics_state.go, shell and script magics in magics_shell.go, %go in
// modules.go, %doc in help.go.
var magics []*magic

func init() {
	magics = []*magic{
		{Name: "race", Usage: "%race [on|off]", Short: "build this cell (or, with on/off, every cell from now on) with the race detector", Apply: raceMagic},
		{Name: "timeout", Usage: "%timeout [default] DURATION", Short: "stop this cell (with default: every cell) after DURATION, e.g. 5s; 0 means none", Apply: timeoutMagic},
		{Name: "limit", Usage: "%limit [default] memory=256MB procs=64 cpu=10s output=10MB", Short: "limit this cell's (with default: every cell's) memory, processes, CPU time and output", Apply: limitMagic},
		{Name: "vet", Usage: "%vet [on|off]", Short: "warn (before the cell runs) about what go vet finds in it: a copied sync.Mutex or WaitGroup, wg.Add in the goroutine, a Printf verb of the wrong type...; off: stop warning", Apply: vetMagic},
		{Name: "time", Usage: "%time (or %%time)", Short: "after the cell, print its program's wall-clock time and CPU time (user, sys), and how long building it took", Apply: timeMagic},
		{Name: "doc", Usage: "%doc NAME", Short: "print the documentation of NAME (fmt, fmt.Println, a name of the notebook); NAME? shows it in the pager", Apply: docMagic},
		{Name: "help", Usage: "%help", Short: "list the magics", Apply: helpMagic},
		{Name: "who", Usage: "%who", Short: "list the remembered imports, declarations and kept values and the cell each came from (a value: the cell that made it, and the last that changed it)", Apply: whoMagic},
		{Name: "reset", Usage: "%reset [NAME ...]", Short: "forget every remembered declaration and import (or only NAME ...)", Apply: resetMagic},
		{Name: "env", Usage: "%env [NAME[=VALUE]]", Short: "list the environment, show NAME, or set it for later cells and commands ($VAR expanded)", Apply: envMagic},
		{Name: "cd", Usage: "%cd [DIR]", Short: "change the working directory of later cells and commands", Apply: cdMagic},
		{Name: "go", Usage: "%go get MODULE@VERSION", Short: "run go (get, list, mod, doc, env, version) in the kernel's module, e.g. pin a module version", Apply: goMagic},
		{Name: "!", Usage: "!COMMAND", Short: "run a shell command (sh -c) before the cell's Go code; its exit status is shown", Apply: shellLineMagic},
		{Name: "writefile", Usage: "%%writefile [-a] FILE", Short: "write (with -a: append) the rest of the cell to FILE", Cell: true, Apply: writefileMagic},
		{Name: "bash", Usage: "%%bash", Short: "run the rest of the cell with bash (streamed, interruptible)", Cell: true, Apply: scriptMagic("bash")},
		{Name: "sh", Usage: "%%sh", Short: "run the rest of the cell with sh (streamed, interruptible)", Cell: true, Apply: scriptMagic("sh")},
		{Name: "python3", Usage: "%%python3", Short: "run the rest of the cell with python3 from PATH (streamed, interruptible)", Cell: true, Apply: scriptMagic("python3")},
		{Name: "lsmagic", Usage: "%lsmagic", Short: "list the magics (same as %help)", Apply: helpMagic},
	}
}

// MagicError is a magic that is unknown or used wrongly.
type MagicError struct {
	Line int
	Msg  string
}

// Error says which line of the cell holds the bad magic and why.
func (e *MagicError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

func lookupMagic(name string, cell bool) *magic {
	for _, m := range magics {
		if m.Name == name && m.Cell == cell {
			return m
		}
	}
	return nil
}

// split pulls the magics out of code and applies them to a copy of the
// notebook's settings.
func split(code string, notebook settings) (splitCell, error) {
	out := splitCell{Cell: notebook, Notebook: notebook}
	if topic, ok := helpRequest(code); ok { // fmt.Println? or ?fmt.Println (help.go)
		out.Code = blankLines(strings.SplitAfter(code, "\n"))
		out.Run = helpRunner(topic)
		return out, nil
	}
	lines := strings.SplitAfter(code, "\n")
	starts := codeLineStarts(code)
	for i, line := range lines {
		if !starts[i] {
			continue
		}
		text := strings.TrimSpace(line)
		if isShellLine(lines, i) {
			text = "%" + text // `!cmd` is the line magic "!" (magics_shell.go)
		}
		if !strings.HasPrefix(text, "%") {
			continue
		}
		cellMagic := strings.HasPrefix(text, "%%")
		name, args, _ := strings.Cut(strings.TrimLeft(text, "%"), " ")
		if strings.HasPrefix(name, "!") {
			name, args = "!", strings.TrimPrefix(strings.TrimLeft(text, "%"), "!")
		}
		name = strings.TrimSpace(name)
		if cellMagic && lookupMagic(name, true) == nil && lineMagicForCell[name] {
			cellMagic = false // %%time, as IPython writes it for a whole cell: here %time is one already
		}
		if cellMagic && !onlyBlankBefore(lines, i) {
			return out, &MagicError{Line: i + 1, Msg: fmt.Sprintf("cell magic %%%%%s must be the first line of the cell", name)}
		}
		m := lookupMagic(name, cellMagic)
		if m == nil {
			return out, &MagicError{Line: i + 1, Msg: unknownMagicMessage(name, cellMagic)}
		}
		call := &magicCall{Args: strings.TrimSpace(args), Line: i + 1, Out: &out}
		if cellMagic {
			call.Body = strings.Join(lines[i+1:], "")
		}
		if err := m.Apply(call); err != nil {
			return out, &MagicError{Line: i + 1, Msg: fmt.Sprintf("%s: %v (usage: %s)", "%"+name, err, m.Usage)}
		}
		if cellMagic {
			out.Code = blankLines(lines[:i+1]) + blankLines(lines[i+1:])
			return out, nil
		}
		lines[i] = blankLines([]string{line})
	}
	out.Code = strings.Join(lines, "")
	return out, nil
}

func onlyBlankBefore(lines []string, i int) bool {
	for _, l := range lines[:i] {
		if strings.TrimSpace(l) != "" {
			return false
		}
	}
	return true
}

// blankLines keeps only the newlines of lines.
func blankLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		if strings.HasSuffix(l, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// codeLineStarts reports, for each line of code, whether it starts outside a
// raw string or block comment: only there can a magic be (a line of Go code
// never starts with %, since a newline ends the expression before it).
func codeLineStarts(code string) []bool {
	starts := []bool{true}
	inRaw, inBlock, inString, inRune, inLineComment := false, false, false, false, false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '\n':
			inString, inRune, inLineComment = false, false, false
			starts = append(starts, !inRaw && !inBlock)
		case inLineComment:
		case inRaw:
			if c == '`' {
				inRaw = false
			}
		case inBlock:
			if c == '*' && i+1 < len(code) && code[i+1] == '/' {
				inBlock = false
				i++
			}
		case inString || inRune:
			if c == '\\' && i+1 < len(code) && code[i+1] != '\n' {
				i++
			} else if (inString && c == '"') || (inRune && c == '\'') {
				inString, inRune = false, false
			}
		case c == '`':
			inRaw = true
		case c == '"':
			inString = true
		case c == '\'':
			inRune = true
		case c == '/' && i+1 < len(code) && code[i+1] == '/':
			inLineComment = true
			i++
		case c == '/' && i+1 < len(code) && code[i+1] == '*':
			inBlock = true
			i++
		}
	}
	return starts
}

// unknownMagicMessage names the closest known magic.
func unknownMagicMessage(name string, cell bool) string {
	prefix := "%"
	if cell {
		prefix = "%%"
	}
	best, bestDist := "", 1<<30
	for _, m := range magics {
		if m.Name == "!" {
			continue // one character: close to every short typo
		}
		if d := editDistance(name, m.Name); d < bestDist {
			best, bestDist = m.Name, d
		}
	}
	msg := fmt.Sprintf("unknown magic %s%s", prefix, name)
	if best != "" && bestDist <= max(2, len(name)/2) {
		if m := lookupMagic(best, true); m != nil {
			prefix = "%%"
		} else {
			prefix = "%"
		}
		msg += fmt.Sprintf("; did you mean %s%s?", prefix, best)
	}
	return msg + " (%help lists the magics)"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// splitDefault removes a leading "default" word: it says the magic sets the
// notebook's default rather than this cell's setting.
func splitDefault(args string) (rest string, isDefault bool) {
	word, rest, _ := strings.Cut(args, " ")
	if word == "default" {
		return strings.TrimSpace(rest), true
	}
	return args, false
}

// lineMagicForCell are line magics also accepted as %%NAME, since every
// magic here applies to the whole cell.
var lineMagicForCell = map[string]bool{"time": true}

func timeMagic(c *magicCall) error {
	if c.Args != "" {
		return fmt.Errorf("takes no arguments: it times the whole cell")
	}
	c.Out.Cell.Time = true
	return nil
}

func raceMagic(c *magicCall) error {
	return switchMagic(c, func(s *settings, on bool) { s.Race = on })
}

func vetMagic(c *magicCall) error {
	return switchMagic(c, func(s *settings, on bool) { s.NoVet = !on })
}

// switchMagic reads the argument of a magic that turns something on or off:
// none (on for this cell), on or off (for this cell and the cells after).
func switchMagic(c *magicCall, set func(s *settings, on bool)) error {
	switch c.Args {
	case "":
		set(&c.Out.Cell, true)
	case "on", "off":
		set(&c.Out.Cell, c.Args == "on")
		set(&c.Out.Notebook, c.Args == "on")
	default:
		return fmt.Errorf("want no argument, on or off, not %q", c.Args)
	}
	return nil
}

func timeoutMagic(c *magicCall) error {
	args, isDefault := splitDefault(c.Args)
	if args == "" {
		return fmt.Errorf("missing duration")
	}
	d, err := parseDuration(args)
	if err != nil {
		return err
	}
	c.Out.Cell.Timeout = d
	if isDefault {
		c.Out.Notebook.Timeout = d
	}
	return nil
}

// parseDuration accepts Go durations ("1m30s") and "0"/"none" for no limit.
func parseDuration(s string) (time.Duration, error) {
	if s == "0" || s == "none" || s == "off" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (write e.g. 5s, 1m30s)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return d, nil
}

func limitMagic(c *magicCall) error {
	args, isDefault := splitDefault(c.Args)
	fields := strings.Fields(args)
	if len(fields) == 0 {
		return fmt.Errorf("missing limits")
	}
	lim := c.Out.Cell.Limits
	for _, f := range fields {
		key, value, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("%q is not key=value", f)
		}
		var err error
		switch key {
		case "memory", "mem":
			lim.Memory, err = parseSize(value)
		case "output", "out":
			// Limits.Output: 0 is the run stage's default, negative is none.
			if value == "none" || value == "off" || value == "0" {
				lim.Output = -1
			} else {
				lim.Output, err = parseSize(value)
			}
		case "cpu":
			lim.CPU, err = parseDuration(value)
		case "procs", "processes", "threads":
			var n int
			n, err = strconv.Atoi(value)
			if err == nil && n < 0 {
				err = fmt.Errorf("negative count %q", value)
			}
			lim.Procs = n
		default:
			return fmt.Errorf("unknown limit %q (known: memory, procs, cpu, output)", key)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	c.Out.Cell.Limits = lim
	if isDefault {
		c.Out.Notebook.Limits = lim
	}
	return nil
}

// parseSize reads "256MB", "10k", "1GiB", "1024" (bytes); units are powers
// of 1024. "0" or "none" means no limit.
func parseSize(s string) (int64, error) {
	if s == "none" || s == "off" {
		return 0, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToLower(s[i:])
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (write e.g. 256MB)", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
		"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("bad size unit in %q (use B, KB, MB or GB)", s)
	}
	return int64(n * mult), nil
}

func helpMagic(c *magicCall) error {
	if c.Args != "" {
		return fmt.Errorf("takes no arguments")
	}
	c.Out.Notes = append(c.Out.Notes, magicHelp())
	return nil
}

// magicHelp lists the magics, one line each.
func magicHelp() string {
	sorted := slices.Clone(magics)
	slices.SortFunc(sorted, func(a, b *magic) int { return strings.Compare(a.Usage, b.Usage) })
	width := 0
	for _, m := range sorted {
		width = max(width, len(m.Usage))
	}
	var b strings.Builder
	for _, m := range sorted {
		fmt.Fprintf(&b, "%-*s  %s\n", width, m.Usage, m.Short)
	}
	return b.String()
}
