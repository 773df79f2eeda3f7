package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gokernel/gokernel/kernel/engine/loopjump"
)

// This file turns the Go runtime's goroutine dumps (the text a panic, a
// deadlock, SIGQUIT or runtime.Stack(all) prints) into a view a student can
// read: one entry per goroutine of their program, its state and where it was
// in their cells, with the runtime's own goroutines and frames folded away.

// goroutineTrace is one "goroutine N [state]:" block of a dump.
type goroutineTrace struct {
	ID        int
	State     string       // "chan receive", "sync.Mutex.Lock", "running" …
	Waited    string       // "2 minutes" when the runtime says how long it has waited
	Frames    []stackFrame // innermost first
	CreatedBy *stackFrame  // the go statement that started it; nil for goroutine 1
	CreatorID int          // goroutine that ran that go statement; 0 when unknown
}

// stackFrame is one function of a stack: its name and source position.
type stackFrame struct {
	Func string // "main.worker", "sync.(*Mutex).Lock"
	File string // "cell4.go" for cell code, an absolute path otherwise
	Line int    // 0 when the runtime could not tell
	// Offset is the frame's pc minus its function's entry ("+0x47"), when
	// the dump gives it: where in the binary a goroutine stopped.
	Offset uint64
}

var (
	goroutineHeader = regexp.MustCompile(`^goroutine (\d+)(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[([^\]]*)\]:$`)
	frameFileLine   = regexp.MustCompile(`^\s+(.*?):(-?\d+)(?: \+0x([0-9a-f]+))?(?: fp=\S+ sp=\S+ pc=\S+)?$`)
	frameCall       = regexp.MustCompile(`^(\S.*?)\([^()]*\)$`)
	createdByLine   = regexp.MustCompile(`^created by (\S+)(?: in goroutine (\d+))?$`)
	cellFileName    = regexp.MustCompile(`(?:^|/)cell(\d+)\.go$`)
	waitedMinutes   = regexp.MustCompile(`^\d+ minutes?$`)
)

// parseGoroutines reads every goroutine block of a Go traceback. Lines that
// are not part of a block (the panic message, register dumps) are skipped.
func parseGoroutines(dump string) []goroutineTrace {
	var traces []goroutineTrace
	var cur *goroutineTrace
	var pendingFunc string // function line waiting for its file:line line
	var pendingCreated *stackFrame
	for _, line := range strings.Split(dump, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := goroutineHeader.FindStringSubmatch(line); m != nil {
			id, _ := strconv.Atoi(m[1])
			traces = append(traces, goroutineTrace{ID: id})
			cur = &traces[len(traces)-1]
			cur.State, cur.Waited = splitGoroutineState(m[2])
			pendingFunc, pendingCreated = "", nil
			continue
		}
		if cur == nil {
			continue
		}
		if line == "" {
			cur = nil // a blank line ends the block
			continue
		}
		if m := frameFileLine.FindStringSubmatch(line); m != nil && (pendingFunc != "" || pendingCreated != nil) {
			n, _ := strconv.Atoi(m[2])
			if pendingCreated != nil {
				pendingCreated.File, pendingCreated.Line = m[1], n
				cur.CreatedBy = pendingCreated
			} else {
				off, _ := strconv.ParseUint(m[3], 16, 64)
				cur.Frames = append(cur.Frames, stackFrame{Func: pendingFunc, File: m[1], Line: n, Offset: off})
			}
			pendingFunc, pendingCreated = "", nil
			continue
		}
		if m := createdByLine.FindStringSubmatch(line); m != nil {
			pendingCreated = &stackFrame{Func: m[1]}
			cur.CreatorID, _ = strconv.Atoi(m[2])
			continue
		}
		if m := frameCall.FindStringSubmatch(line); m != nil {
			pendingFunc = m[1]
			continue
		}
		// "...additional frames elided...", "goroutine running on other thread": keep going.
	}
	return traces
}

// splitGoroutineState separates "chan receive, 3 minutes, locked to thread"
// into the state and how long it has waited.
func splitGoroutineState(s string) (state, waited string) {
	parts := strings.Split(s, ", ")
	state = parts[0]
	for _, p := range parts[1:] {
		if waitedMinutes.MatchString(p) {
			waited = p
		}
	}
	return state, waited
}

// cellPosition maps a file of the generated program to the cell it came
// from: the compose stage writes //line cellN.go:L:C directives.
func cellPosition(file string, line int) (cell int, ok bool) {
	m := cellFileName.FindStringSubmatch(file)
	if m == nil {
		return 0, false
	}
	cell, err := strconv.Atoi(m[1])
	return cell, err == nil
}

// formatCellLine renders a position of cell code the way error messages
// name it everywhere in the kernel: "cell [4] line 12".
func formatCellLine(file string, line int) (string, bool) {
	cell, ok := cellPosition(file, line)
	if !ok {
		return "", false
	}
	if line <= 0 {
		// The compiler gives the back jump of a loop whose body calls
		// nothing (for {}) a line before the //line directive: negative
		// in cell terms. Saying what such a stop usually is helps more
		// than a bare "line unknown".
		return fmt.Sprintf("cell [%d] (line unknown: usually a loop that calls nothing, such as for {})", cell), true
	}
	return fmt.Sprintf("cell [%d] line %d", cell, line), true
}

// userFunc shortens a function name of the user's program for display:
// "main.worker" -> "worker", "main.main.func1" -> "func literal in main",
// "main.(*pool).work" -> "(*pool).work".
func userFunc(name string) string {
	name = strings.TrimPrefix(name, "main.")
	// The cell's statements and the user's own main are both "main" to the
	// user (compose.go names them apart).
	for _, generated := range []string{cellFuncName, userMainName} {
		if rest, ok := strings.CutPrefix(name, generated); ok && (rest == "" || rest[0] == '.') {
			name = "main" + rest
		}
	}
	if i := strings.Index(name, ".func"); i > 0 && !strings.Contains(name[:i], "(") {
		return "func literal in " + name[:i]
	}
	return name
}

// isUserGoroutine tells whether a goroutine belongs to the user's program:
// it runs or was started by cell code. The runtime's own goroutines (GC
// workers, finalizers, signal handling) are not.
func (g goroutineTrace) isUserGoroutine() bool {
	if g.ID == 1 {
		return true // runs main.main, even when its stack was not available
	}
	for _, f := range g.Frames {
		if _, ok := cellPosition(f.File, f.Line); ok {
			return true
		}
		if strings.HasPrefix(f.Func, "main.") {
			return true
		}
	}
	if g.CreatedBy != nil {
		if _, ok := cellPosition(g.CreatedBy.File, g.CreatedBy.Line); ok {
			return true
		}
	}
	return false
}

// whereLines renders where a goroutine is in the user's cells, innermost
// call first. Frames outside the cells are folded away; when there is no
// cell frame at all the innermost non-runtime frame is shown instead.
func (g goroutineTrace) whereLines(opt goroutineViewOptions) []string {
	var lines []string
	repeats := 0 // of the last line, by a recursion (a stack overflow repeats one frame ~100 times)
	flushRepeats := func() {
		if repeats > 0 {
			lines[len(lines)-1] += fmt.Sprintf("  (and %d more calls from the same line)", repeats)
			repeats = 0
		}
	}
	for _, f := range g.Frames {
		if strings.Contains(f.Func, ".gowrap") {
			continue // the compiler's wrapper of a go statement: "started by" says it
		}
		if at, ok := formatCellLine(f.File, f.Line); ok {
			if cell, _ := cellPosition(f.File, f.Line); f.Line <= 0 {
				at = placeStoppedLoop(at, cell, f, opt)
			}
			line := fmt.Sprintf("%s  in %s", at, userFunc(f.Func))
			if n := len(lines); n > 0 && lines[n-1] == line {
				repeats++
				continue
			}
			flushRepeats()
			lines = append(lines, line)
		}
	}
	flushRepeats()
	if len(g.Frames) == 0 && g.State == "running" {
		lines = append(lines, "(running on another thread: the runtime could not read its stack)")
	}
	if len(lines) == 0 {
		for _, f := range g.Frames {
			if isRuntimeFunc(f.Func) {
				continue
			}
			if lib, ok := strings.CutPrefix(f.Func, cellLibraryPrefix); ok {
				// The kernel's own library: its file is in the private
				// workspace, a path that means nothing to the user.
				lines = append(lines, "in "+lib)
			} else {
				lines = append(lines, fmt.Sprintf("in %s (%s:%d)", f.Func, shortPath(f.File), f.Line))
			}
			break
		}
		for _, f := range g.Frames {
			if f.Func == cellLibraryPrefix+"nb/cellrt.Finish" {
				lines = append(lines, "(the cell's code had returned; it was waiting for child processes nobody joined)")
				break
			}
		}
	}
	if g.CreatedBy != nil {
		if at, ok := formatCellLine(g.CreatedBy.File, g.CreatedBy.Line); ok {
			lines = append(lines, fmt.Sprintf("started by %s at %s", userFunc(g.CreatedBy.Func), at))
		}
	}
	return lines
}

// cellLibraryPrefix begins the function names of the packages the kernel
// links into cells (nb, nb/cellrt).
const cellLibraryPrefix = "github.com/gokernel/gokernel/kernel/"

// isRuntimeFunc reports functions of the Go runtime's plumbing, which say
// nothing to a student about their own program.
func isRuntimeFunc(name string) bool {
	return strings.HasPrefix(name, "runtime.") || strings.HasPrefix(name, "internal/") ||
		strings.HasPrefix(name, "runtime/") || strings.HasPrefix(name, "syscall.") ||
		strings.HasPrefix(name, "sync.runtime_")
}

func shortPath(p string) string {
	if i := strings.Index(p, "/src/"); i >= 0 {
		return p[i+len("/src/"):]
	}
	return p
}

// goroutineViewOptions tunes formatGoroutineView.
type goroutineViewOptions struct {
	// Skip leaves out goroutines whose frames include this function (e.g.
	// the goroutine running cellrt.Finish that took the snapshot).
	Skip string
	// Source returns the code of a cell by its execution count ("" when
	// unknown), to place a goroutine stopped in a loop that has no line.
	Source func(cell int) string
	// Binary is the program's binary, to read where a loop with no line
	// jumps back to (loopjump); "" when it is not known. Rename maps the
	// file names compiled into it to cells' (runSpec.Positions).
	Binary string
	Rename func(string) string
	// Mark is appended to the header of goroutine MarkID (e.g. "<- panicked here").
	MarkID int
	Mark   string
}

// maxGoroutineGroups bounds the view of a program with thousands of
// goroutines: identical goroutines are grouped first, then the rest cut.
const maxGoroutineGroups = 40

// formatGoroutineView renders the user's goroutines of a dump, one block
// each, identical goroutines (same state, same lines) grouped as one:
//
//	goroutine 7 [sync.Mutex.Lock]:
//	    cell [4] line 13  in worker
//	    started by main at cell [4] line 20
//
// It returns the lines and how many user goroutines it saw.
func formatGoroutineView(traces []goroutineTrace, opt goroutineViewOptions) ([]string, int) {
	type group struct {
		ids   []int
		state string
		where []string
	}
	var groups []*group
	byKey := map[string]*group{}
	count := 0
	for _, g := range traces {
		if !g.isUserGoroutine() || (opt.Skip != "" && g.hasFunc(opt.Skip)) {
			continue
		}
		count++
		state := g.State
		if g.Waited != "" {
			state += ", " + g.Waited
		}
		where := g.whereLines(opt)
		key := state + "\x00" + strings.Join(where, "\x00")
		if g.ID == opt.MarkID && opt.Mark != "" {
			key = "marked" // never grouped with others
		}
		if gr, ok := byKey[key]; ok {
			gr.ids = append(gr.ids, g.ID)
			continue
		}
		gr := &group{ids: []int{g.ID}, state: state, where: where}
		byKey[key] = gr
		groups = append(groups, gr)
	}
	// Goroutine 1 (main) first, then by id: the order the runtime uses.
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].ids[0] < groups[j].ids[0] })
	var lines []string
	for i, gr := range groups {
		if i == maxGoroutineGroups {
			lines = append(lines, fmt.Sprintf("… and %d more kinds of goroutine not shown", len(groups)-i))
			break
		}
		var head string
		if len(gr.ids) == 1 {
			head = fmt.Sprintf("goroutine %d [%s]:", gr.ids[0], gr.state)
		} else {
			head = fmt.Sprintf("%d goroutines %s [%s]:", len(gr.ids), idList(gr.ids), gr.state)
		}
		if gr.ids[0] == opt.MarkID && opt.Mark != "" {
			head += "  " + opt.Mark
		}
		lines = append(lines, head)
		if len(gr.where) == 0 {
			lines = append(lines, "    (not in a cell)")
		}
		for _, w := range gr.where {
			lines = append(lines, "    "+w)
		}
	}
	return lines, count
}

func (g goroutineTrace) hasFunc(name string) bool {
	for _, f := range g.Frames {
		if f.Func == name {
			return true
		}
	}
	return false
}

// idList renders goroutine ids compactly: "(7, 8, 9)" or "(7, 8, … 99)".
func idList(ids []int) string {
	parts := make([]string, 0, 4)
	for i, id := range ids {
		if i == 3 && len(ids) > 4 {
			parts = append(parts, "…", strconv.Itoa(ids[len(ids)-1]))
			break
		}
		parts = append(parts, strconv.Itoa(id))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// placeStoppedLoop says where in cell a goroutine stopped on a line the
// runtime does not know (at, "line unknown: ..."), when it can. The source
// gives the loops that call nothing in the function it stopped in: when
// there is one, that is it; when there are several, the binary says where
// the jump it stopped on goes back to (loopjump), and the loop holding that
// line is the one. A jump's target alone is not trusted: where the compiler
// reduced a loop to a jump, the target carries an earlier statement's line.
func placeStoppedLoop(at string, cell int, f stackFrame, opt goroutineViewOptions) string {
	if opt.Source == nil {
		return at
	}
	loops, in, ok := callFreeLoops(opt.Source(cell), f.Func)
	switch {
	case !ok:
	case len(loops) == 1:
		return fmt.Sprintf("cell [%d] line %d (the only loop in %s that calls nothing: the runtime gives such a loop no line)", cell, loops[0].Start, in)
	case len(loops) > 1 && opt.Binary != "" && f.Offset > 0:
		file, line, ok := loopjump.Line(opt.Binary, f.Func, f.Offset)
		if opt.Rename != nil {
			file = opt.Rename(file)
		}
		if !ok || file != f.File {
			break
		}
		for _, l := range loops {
			if l.Start <= line && line <= l.End {
				return fmt.Sprintf("cell [%d] line %d (of the loops in %s that call nothing, the one that jumps back to line %d: the runtime gives that jump no line)", cell, l.Start, in, line)
			}
		}
	}
	return at
}

// loopSpan is the lines of a loop in a cell, from its for to its }.
type loopSpan struct{ Start, End int }

// callFreeLoops finds the loops a goroutine stopped in a loop that calls
// nothing (for {}, or i++ with no call) may be in: the compiler gives such
// a loop's back jump no line of the cell (formatCellLine), so the dump
// cannot say. fn is the frame's function ("main._gokernel_cell.func1",
// "main.spin", "main.(*T).M"): the loop is in its body, or in the cell's
// statements for the cell's own function and its func literals. It lists
// the loops that call nothing in that body (or, for a function not found,
// in the whole cell), not counting loops nested in one, with where it
// looked ("main", "spin", "the cell"); ok is false when the code does not
// parse.
func callFreeLoops(code, fn string) (loops []loopSpan, in string, ok bool) {
	if code == "" {
		return nil, "", false
	}
	pc, err := parse(code)
	if err != nil {
		return nil, "", false
	}
	type piece struct {
		src   string
		shift int // add to a line of src to get the cell's line
	}
	var statements, funcs, scope []piece
	for _, st := range pc.Stmts {
		statements = append(statements, piece{"package p\nfunc _() {\n" + st.Text + "\n}", st.Line - 3})
	}
	if t := pc.Trailing; t != nil {
		statements = append(statements, piece{"package p\nfunc _() {\n" + t.Text + "\n}", t.Line - 3})
	}
	name, receiver := frameFuncDecl(fn)
	for _, d := range pc.Decls {
		if d.Kind != "func" && d.Kind != "method" {
			continue
		}
		p := piece{"package p\n" + d.Text.Text, d.Text.Line - 2}
		funcs = append(funcs, p)
		if len(d.Names) == 1 && d.Names[0] == name && d.Receiver == receiver && (d.Kind == "method") == (receiver != "") {
			scope = []piece{p}
		}
	}
	in = name
	switch {
	case name == cellFuncName:
		scope, in = statements, "main"
	case scope == nil:
		scope, in = append(statements, funcs...), "the cell"
	case receiver != "":
		in = receiver + "." + name
	}
	for _, p := range scope {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "", p.src, parser.SkipObjectResolution)
		if err != nil {
			return nil, "", false
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var body *ast.BlockStmt
			switch l := n.(type) {
			case *ast.ForStmt:
				body = l.Body
			case *ast.RangeStmt:
				body = l.Body
			default:
				return true
			}
			calls := false
			ast.Inspect(body, func(n ast.Node) bool {
				if _, ok := n.(*ast.CallExpr); ok {
					calls = true
				}
				return !calls
			})
			if !calls {
				loops = append(loops, loopSpan{fset.Position(n.Pos()).Line + p.shift, fset.Position(n.End()).Line + p.shift})
				return false // the loops inside it are part of the same answer
			}
			return true
		})
	}
	return loops, in, true
}

// frameFuncDecl names the declaration a stack frame's function comes from:
// "main.spin.func2" → spin; "main.(*T[...]).M.func1" → M with receiver T;
// the user's own main (renamed in the program) → main; the cell's
// statements → cellFuncName.
func frameFuncDecl(fn string) (name, receiver string) {
	// A traceback writes a generic's type arguments as "[...]".
	fn = strings.ReplaceAll(strings.TrimPrefix(fn, "main."), "[...]", "")
	if i := strings.Index(fn, ".func"); i > 0 {
		fn = fn[:i]
	}
	if i := strings.LastIndex(fn, "."); i > 0 {
		receiver, fn = fn[:i], fn[i+1:]
		receiver = strings.TrimSuffix(strings.TrimPrefix(receiver, "(*"), ")")
	}
	if fn == userMainName {
		fn = "main"
	}
	return fn, receiver
}
