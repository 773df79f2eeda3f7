package engine

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"time"

	"github.com/gokernel/gokernel/kernel/engine/vetcell"
	"github.com/gokernel/gokernel/kernel/interp"
)

// The vet stage: go vet's concurrency checks (package vetcell) on the
// cell's program, shown as warnings before its output. A student who
// copies a Counter holding a sync.Mutex with a value receiver gets a
// program that runs and counts wrong; go vet says why, but nobody runs
// go vet on a notebook, and go test's default vet checks leave copylocks
// out. Printf verbs that do not fit their arguments and string(int) are
// checked too: go test would, go run does not. The cell still runs, as
// `go run` would run it.

// startVet type-checks and vets the cell's program while it builds (on the
// other core: the build is the go command's). The func it returns waits
// and gives the findings in cell count's own code; none when the notebook
// said %vet off, for a silent cell, or for a program that imports
// something outside the standard library (its export data is the go
// command's, after the build).
func (e *Engine) startVet(ctx context.Context, on bool, src []byte, paths []string, count int, file string) func() []vetcell.Finding {
	if !on || !e.build.fastPathOK(paths) {
		return func() []vetcell.Finding { return nil }
	}
	done := make(chan []vetcell.Finding, 1)
	go func() {
		start := time.Now()
		var findings []vetcell.Finding
		if _, err := e.build.importConfig(ctx, false, paths); err == nil {
			findings = e.check.vet(src, "go"+e.tc.langVer, file)
		}
		e.stage(count, "vet", start, "findings", len(findings))
		done <- findings
	}()
	return func() []vetcell.Finding { return <-done }
}

// vet runs vetcell's checks on src and keeps the findings in file (the
// current cell's): not those in remembered declarations of earlier cells,
// reported when they ran, nor in code the kernel generated.
func (vc *valueChecker) vet(src []byte, goVersion, file string) []vetcell.Finding {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	findings, err := vetcell.Check(fset, []*ast.File{f}, vc.imp, goVersion)
	if err != nil {
		return nil // the compiler says what is wrong
	}
	return slices.DeleteFunc(findings, func(f vetcell.Finding) bool {
		// A lock copied into the call that shows the cell's value is the
		// kernel's doing, not the user's.
		return f.Pos.Filename != file || strings.Contains(f.Msg, cellrtAlias) || strings.Contains(f.Msg, keepAlias)
	})
}

// showVet writes the findings on stderr, each like a compile error (cell,
// line, the source line and a caret), then which checks spoke and how to
// silence them.
func showVet(findings []vetcell.Finding, count int, code string, out interp.Output) {
	if len(findings) == 0 {
		return
	}
	var b strings.Builder
	var checks []string
	for _, f := range findings {
		msg := cleanGenerated(f.Msg)
		if f.Hint != "" {
			msg += " — " + f.Hint
		}
		// Findings are in this cell's code only (vet keeps no others),
		// whatever name the program gave it (codeFile).
		head, src, caret := describeDiagnostic(Diagnostic{File: cellFile(count), Line: f.Pos.Line, Col: f.Pos.Column, Msg: msg},
			count, func(int) string { return code })
		fmt.Fprintf(&b, "vet: %s\n", head)
		if src != "" {
			fmt.Fprintf(&b, "    %s\n    %s\n", src, caret)
		}
		if !slices.Contains(checks, f.Check) {
			checks = append(checks, f.Check)
		}
	}
	noun := "check"
	if len(checks) > 1 {
		noun = "checks"
	}
	fmt.Fprintf(&b, "vet: (go vet's %s %s; the cell runs anyway; %%vet off silences vet)\n", strings.Join(checks, ", "), noun)
	out.Stream("stderr", b.String())
}
