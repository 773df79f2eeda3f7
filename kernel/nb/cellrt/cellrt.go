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
// goroutines still alive when main returns. Result shows the cell's value.
//
// It is linked into every cell, so it must stay tiny.
package cellrt

// Start is called first in every cell's main. funcs maps the names of the
// program's top-level functions to their values, so that a child process of
// the same binary can run one of them.
func Start(funcs map[string]any) {
	// TODO(owner: cell library) dispatch child processes; record the goroutine baseline.
}

// Result shows v as the cell's value (execute_result).
func Result(v any) {
	// TODO(owner: cell library) write a wire.KindResult frame.
}

// Finish is called last in every cell's main; it reports goroutines left behind.
func Finish() {
	// TODO(owner: cell library) write a wire.KindLeftover frame when goroutines remain.
}
