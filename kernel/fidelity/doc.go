// Package fidelity checks the promise of the README's "In a cell": a cell's
// program behaves as `go run` of the same program would.
//
// The programs are test data (testdata/programs.json lists them, with where
// each comes from and what its output may vary in): concurrency chapters of a
// public Go tutorial and edge cases of our own (defer, recover, os.Exit,
// log.Fatal, runtime.Goexit, init, methods across cells). TestFidelity runs
// every program three ways through the real engine and compares its standard
// output with the program built by `go build` and run on the same machine:
//
//   - whole: the pasted file as one cell;
//   - split: the declarations as one cell, main's body as the next;
//   - rerun: the pasted file, then a cell `main()`, whose output is compared
//     with a second call of main in the same process (init does not run
//     again; package variables keep what the first call left, as values
//     carry over from cell to cell).
//
// The run ends with a summary line (shown with -v, or when the test fails):
//
//	go test -v -run TestFidelity ./kernel/fidelity | grep FIDELITY
//	FIDELITY: 49 programs × 3 ways, 142 equal to go run (1m8s)
//
// The README's "In a cell" quotes that figure and the test checks it does.
// Cases that differ for a known reason are listed, with why, in
// knownDifferences (fidelity_test.go); one that starts to behave as go run
// fails the test until it is taken off the list.
//
// This file and the others without _test hold what the test needs that is
// not about the engine: reading the manifest (Manifest), normalising what a
// program says varies (Program.Normalize), cutting a program into cells
// (Split) and building and running the baselines (BuildBaselines).
package fidelity
