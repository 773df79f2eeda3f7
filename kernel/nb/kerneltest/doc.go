// Package kerneltest checks package nb through the real kernel engine:
// cells are compiled and run by kernel/engine exactly as in a notebook, and
// the tests look at what reaches the notebook (streams, display_data,
// update_display_data, clear_output, execute_result) and in what order.
//
// It has no code of its own; it lives beside nb rather than in nb's tests
// because it depends on the engine, which sits above nb.
//
// Files:
//
//	doc.go          this overview
//	kernel_test.go  the cells and their checks
package kerneltest
