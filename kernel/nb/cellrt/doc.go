// Package cellrt is the small runtime every generated cell program calls.
//
// The kernel's compose stage writes a main like
//
//	func main() {
//		cellrt.Start(map[string]any{"worker": worker}) // top-level funcs, for child processes
//		... the cell's statements ...
//		cellrt.Result(6 * 7) // only when the cell ends in an expression with a value
//		cellrt.Finish()
//	}
//
// Start returns at once in the cell's own process; in a child process started
// by package nb it runs the requested function and exits. Finish reports
// goroutines still alive when main returns. Result shows the cell's value
// (Results the values of a call with several results).
//
// It is linked into every cell, so it must stay tiny: it imports only
// packages a printing cell links anyway (fmt, os, runtime, strconv, ...) and
// writes its frames with a small JSON writer of its own instead of
// encoding/json (see frame.go). Measured with the direct compile+link path:
// a hello cell grows by 53 KB and links in the same ~45-50 ms, where
// importing encoding/json would add 274 KB and ~8 ms.
// The heavy parts of child processes (reflection, argument decoding) live in
// package nb, which installs them through RunChild.
//
// Files:
//
//	cellrt.go  Start (child dispatch, goroutine baseline), Func, Funcs, Result, Results, Bundle, Finish, AtFinish
//	frame.go   the frame writer: a minimal JSON encoder for MIME bundles
//	cellrt_test.go  tests; the test binary re-executes itself as a cell program
//	example_test.go runnable examples
package cellrt
