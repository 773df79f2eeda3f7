// Package runner runs the code cells of a notebook headless through an
// interp.Interpreter, the way nbclient does through a Jupyter kernel, and
// records what each cell produced as nbformat outputs.
//
// It is the second front-end of the engine (the protocol server is the
// first): `gokernel run` and the grader use it.
//
// Files:
//   - runner.go: Run, Options, Result — the loop over the cells, timeouts,
//     stop-on-error and the raises-exception tag.
//   - collect.go: the interp.Output that turns a cell's streams, displays,
//     display updates and clear_output into nbformat outputs, and echoes
//     them to a terminal as they happen.
//   - terminal.go: answering a cell's input requests from a terminal;
//     terminal_linux.go and terminal_other.go tell whether a file is a
//     terminal and switch its echo off for passwords.
//   - engine_test.go: end-to-end tests through the real Go engine (the
//     demo notebook, displays, errors); runner_test.go uses a fake.
package runner
