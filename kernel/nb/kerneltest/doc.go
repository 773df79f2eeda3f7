// Package kerneltest checks package nb through the real kernel: cells are
// compiled and run by kernel/engine exactly as in a notebook
// (kernel_test.go), and by the installed gokernel binary driven by a real
// Jupyter client, jupyter_client (jupyter_test.go). The tests look at what
// reaches the notebook (streams, display_data, update_display_data with its
// display_id, clear_output, execute_result) and in what order.
//
// The jupyter_client test needs Debian's /usr/bin/python3 with
// jupyter_client; without it the test is skipped with a loud message, or
// fails when CI=true.
//
// It has no code of its own; it lives beside nb rather than in nb's tests
// because it depends on the engine, which sits above nb.
//
// Files:
//
//	doc.go          this overview
//	kernel_test.go  cells run by the engine, and their checks
//	jupyter_test.go cells run by the gokernel binary through jupyter_client
//	testdata/drive.py  the jupyter_client driver: cells in, iopub messages out
package kerneltest
