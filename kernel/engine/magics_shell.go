package engine

import (
	"context"
	"errors"
	"fmt"
	"go/scanner"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/reap"
)

// This file runs cells and lines with other interpreters, the IPython way:
// `!cmd` lines (sh -c, before the cell's Go code, in order with the other
// line magics), and the cell magics %%bash, %%sh and %%python3, which run
// the rest of the cell. They go through the run stage (run.go) like a Go
// cell: own process group, output streamed live and coalesced, interrupt
// and %timeout kill the whole group, limits apply.

// isShellLine reports whether line i of a cell is a `!cmd` shell line: it
// starts with "!" (not "!=") where a top-level statement may start, outside
// brackets and braces and not continuing an expression (`a &&\n\t!b` is Go).
func isShellLine(lines []string, i int) bool {
	text := strings.TrimSpace(lines[i])
	if !strings.HasPrefix(text, "!") || strings.HasPrefix(text, "!=") || len(text) == 1 {
		return false
	}
	// lines has the magic lines before i already blanked: only Go is scanned.
	var s scanner.Scanner
	fset := token.NewFileSet()
	before := strings.Join(lines[:i], "")
	s.Init(fset.AddFile("", -1, len(before)), []byte(before), nil, 0)
	depth := 0
	last := token.SEMICOLON
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		if !(tok == token.SEMICOLON && lit == "\n") {
			last = tok
		}
	}
	return depth <= 0 && !continuesLine(last)
}

// scriptInterpreters are the cell magics that run their body with an
// interpreter: name -> command and flags before the body. python3 -u: its
// output is a pipe, unbuffered so it streams as it prints.
var scriptInterpreters = map[string][]string{
	"bash":    {"bash", "-c"},
	"sh":      {"sh", "-c"},
	"python3": {"python3", "-u"},
}

// scriptMagic returns the Apply of %%name running the body with its interpreter.
func scriptMagic(name string) func(c *magicCall) error {
	return func(c *magicCall) error {
		if c.Args != "" {
			return fmt.Errorf("takes no arguments (the cell below the %%%%%s line is the script)", name)
		}
		argv := scriptInterpreters[name]
		body, cell := c.Body, c.Out
		c.Out.Run = func(ctx context.Context, e *Engine, out interp.Output) (*interp.ExecuteResult, error) {
			// A newline for the %%name line: the interpreter's line numbers
			// are then the cell's.
			script := "\n" + body
			args := slices.Clone(argv[1:])
			if name == "python3" {
				// Python runs the cell from a file, not -c: multiprocessing's
				// spawn and forkserver start methods re-import the main
				// module, which -c does not have (the article's examples use
				// Process). One cell runs at a time, so one file serves.
				file := e.ws.path(wsBuild, "cell.py")
				if err := writePrivateFile(file, []byte(script)); err != nil {
					return nil, err
				}
				args = append(args, file)
			} else {
				args = append(args, script, name) // name is $0 of the script
			}
			return nil, e.runScript(ctx, out, argv[0], args, cell.Cell)
		}
		return nil
	}
}

// shellLineMagic is `!cmd`: run cmd with sh -c before the cell's Go code. A
// failing command shows its exit status and the cell goes on, as in IPython.
// Shell lines must come before the cell's Go code: running one placed after
// Go code first would silently reorder the cell.
func shellLineMagic(c *magicCall) error {
	command := c.Args
	if strings.TrimSpace(command) == "" {
		return errors.New("missing command")
	}
	cell, line := c.Out, c.Line
	c.Out.Effects = append(c.Out.Effects, func(ctx context.Context, e *Engine, out interp.Output) error {
		// cell.Code is complete by now (split has returned).
		if goCodeBefore(cell.Code, line) {
			msg := fmt.Sprintf("line %d: a !command after Go code would run before it (shell lines run before the cell's Go code); put it above the Go code or in a cell of its own", line)
			return &interp.Error{Name: "UsageError", Value: msg, Traceback: []string{"UsageError: " + msg}}
		}
		err := e.runScript(ctx, out, "sh", []string{"-c", command, "sh"}, cell.Cell)
		var ie *interp.Error
		if errors.As(err, &ie) && ie.Name == "ExitError" {
			out.Stream("stderr", fmt.Sprintf("!%s: %s\n", command, ie.Value))
			return nil
		}
		return err
	})
	return nil
}

// interpreterNotFound is the error name of a script magic whose interpreter
// is not installed.
const interpreterNotFound = "InterpreterNotFound"

// runScript runs interpreter (looked up on the kernel's PATH) with args in
// the cells' directory and environment, through the run stage.
func (e *Engine) runScript(ctx context.Context, out interp.Output, interpreter string, args []string, cell settings) error {
	bin, err := exec.LookPath(interpreter)
	if err != nil {
		msg := fmt.Sprintf("%s is not installed: it was not found on PATH", interpreter)
		return &interp.Error{Name: interpreterNotFound, Value: msg, Traceback: []string{
			interpreterNotFound + ": " + msg,
			"Install it, or put its directory on PATH (e.g. %env PATH=/opt/bin:$PATH is not expanded: give the full value).",
		}}
	}
	start := time.Now()
	var cpu time.Duration
	_, err = run(ctx, runSpec{
		Binary:   bin,
		Args:     args,
		Script:   true,
		Dir:      e.runDir(),
		Env:      e.cellEnv(false, nil),
		Timeout:  cell.Timeout,
		Limits:   cell.Limits,
		Operator: e.operator,
		CPUTime:  &cpu,
	}, out)
	e.log.Debug("stage", "phase", "run", "dur", time.Since(start), "cpu", cpu, "interpreter", interpreter)
	return err
}

// describeScriptEnd is describeEnd for an interpreter: what stopped it, or
// its exit status. Its stderr is its own: nothing is held back as a crash.
func describeScriptEnd(stop stopReason, limit limitExceeded, spec runSpec, state *reap.ExitState, stderrF *stderrFilter, took time.Duration) *interp.Error {
	stderrF.releaseCrash()
	name := filepath.Base(spec.Binary)
	var e *interp.Error
	switch {
	case stop == stopInterrupted:
		e = &interp.Error{Name: "Interrupted", Value: fmt.Sprintf("the %s cell was interrupted after %s; its processes were killed", name, roundDuration(took))}
	case stop == stopTimeout:
		e = &interp.Error{Name: "Timeout", Value: fmt.Sprintf("the %s cell ran longer than its %s timeout and was stopped", name, spec.Timeout)}
	case stop == stopLimit:
		e = &interp.Error{Name: "LimitExceeded", Value: limit.What}
	case state == nil || state.Success():
		return nil
	default:
		e = &interp.Error{Name: "ExitError", Value: state.String()} // "exit status 3"
	}
	e.Traceback = []string{e.Name + ": " + e.Value}
	return e
}

// goCodeBefore reports whether code (magic lines blanked) has Go tokens on
// the lines before line (1-based); comments do not count.
func goCodeBefore(code string, line int) bool {
	var s scanner.Scanner
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(code))
	s.Init(f, []byte(code), nil, 0)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF || f.Line(pos) >= line {
			return false
		}
		if !(tok == token.SEMICOLON && lit == "\n") {
			return true
		}
	}
}
