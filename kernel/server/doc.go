// Package server answers Jupyter requests by driving an interp.Interpreter
// over a Transport (package transport's zmq4 sockets in the kernel).
//
// A table maps each msg_type to its handler, as in xeus. Every request on
// shell and control is wrapped in status busy ... idle, and every reply and
// iopub message carries the request's header as parent_header. Execute
// requests run one at a time, in order, on one goroutine; everything else is
// answered at once, so completion and inspection work while a cell runs and
// interrupt_request always gets through.
//
// Files:
//   - server.go: Config, Server, Serve, Interrupt, the routing table, receive
//     loops, busy/idle, signature and replay checks.
//   - handlers.go: kernel_info, is_complete, complete, inspect, history,
//     comm_*, interrupt and shutdown handlers.
//   - execute.go: the execute queue (told to an interp.Lookahead after every
//     change, with the counts the cells will run as), execution counter,
//     stop_on_error aborts, error mapping and the interp.Output that turns
//     cell output into iopub and stdin messages.
//   - history.go: history in a bounded JSON-lines file; only this session's
//     entries are held in memory, earlier ones are read when asked for.
//   - parent.go: WaitParentExit, so a kernel does not outlive its frontend.
package server
