// Package engine runs Go cells: it implements interp.Interpreter.
//
// A cell goes through one stage per file:
//
//	cell.go       split    pull the magics (%race, %timeout, %limit, %help ...) out of
//	                       the cell, keeping its line numbers; the magic table
//	parse.go      parse    go/parser from memory: imports, declarations and statements,
//	                       which may mix with no marker (import lines are hoisted
//	                       from anywhere); the trailing expression
//	decls.go      merge    declarations remembered by name (methods by receiver and
//	                       name); a cell's are merged into a clone, committed only if
//	                       the cell compiles; a program gets only the declarations
//	                       its cell reaches (so 200 remembered ones cost nothing)
//	imports.go    imports  unused imports dropped, missing standard ones added
//	                       (golang.org/x/tools/imports, called only when needed)
//	typecheck.go  types    go/types over the fast path's export data: does the
//	                       trailing call have a value to show? (also: members of a
//	                       value for completion)
//	compose.go    compose  the program, every piece of user code under a
//	                       /*line cellN.go:L:C*/ directive
//	vet.go        vet      go vet's concurrency checks and two of its others
//	                       (package vetcell: copylocks, waitgroup, lostcancel,
//	                       atomic, unusedresult, printf, stringintconv) on the
//	                       program while it builds; what they find in the cell's
//	                       own code is shown, if it compiles, before its output
//	build.go      build    compile + link with a cached importcfg (fast path; the
//	                       warm-up's importcfg is kept in the user cache dir for the
//	                       next kernel), `go build` for other modules, a binary
//	                       cache, -race with its own importcfg warmed on first use
//	report.go     report   compile errors as "cell [3] line 5: ..." with source and caret
//	run.go ...    run      the run stage (run.go, stream.go, goroutines.go, stdin.go,
//	                       limits.go, race.go): child process, streams, interrupts;
//	                       the program runs under kernel/reap's shepherd, so all
//	                       it starts ends with the cell
//
// and around them:
//
//	engine.go     Engine: New, Warm, Info, Execute (the pipeline), Close
//	complete.go   IsComplete, Complete, Inspect (go/scanner, go/doc on $GOROOT/src
//	              and on fetched modules in the module cache)
//	complete_magics.go  completion of magic names (%wh -> %who)
//	complete_types.go   the kind of each match for JupyterLab (complete_reply metadata)
//	help.go       name? / ?name pager payloads, %doc
//	magics_state.go  %who, %reset, %env, %cd, %%writefile
//	magics_shell.go  !cmd lines, %%bash, %%sh, %%python3 (through the run stage)
//	modules.go    modules beyond the standard library: go get before the build,
//	              %go get MODULE@VERSION, the offline error
//	workspace.go  the private workspace module, with the cell packages written
//	              from kernel.CellSources
//	toolchain.go  where the go command and its tools are
//	modbuild.go   packages of modules compiled directly against the importcfg
//	              (the shared prebuilt library), `go build` only for cgo & co.
//	prebuilt.go   the shared prebuilt library `gokernel install` makes for
//	              every user of a machine, and when a kernel may trust it
//	lookahead.go  Run All: the cells queued behind the current one built ahead
//	              of their turn (Queued, interp.Lookahead), scheduled and
//	              dropped by package speculate
//
// Execute runs one cell at a time; IsComplete, Complete and Inspect read a
// snapshot of the remembered declarations and may run while a cell runs.
//
// Only source persists between cells: every cell's program runs the
// remembered declarations it reaches afresh, so a package variable starts
// from its initializer in each cell that uses it (directly or through the
// declarations it uses), and its initializer's effects (var data = load())
// happen only there and in its own cell. Remembered init funcs run in every
// cell, with the variables they use.
//
// Tests: go test ./kernel/engine (about 30 s); benchmarks:
// go test -run '^$' -bench Execute -benchtime 15x ./kernel/engine.
package engine
