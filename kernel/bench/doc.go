// Package bench measures gokernel the way a user meets it: it starts the real
// kernel binary, drives it over ZeroMQ as a Jupyter frontend does (signed
// messages on DEALER/SUB/REQ sockets) and times what issue 3 asks for, each
// figure beside a same-run baseline (go run, go build, starting a prebuilt
// binary) and its target. `gokernel bench` prints the table and writes JSON.
//
// It is a measuring tool, not a timed test: nothing here fails because the
// machine is slow. The client, process and /proc helpers are also what the
// reliability tests (kernel/reliability) drive the kernel with.
//
// Files:
//   - bench.go: Config, Run, the list of figures and the per-run helpers.
//   - figures.go: one method per figure (start, cells, completion, flood, RSS, install, interrupt).
//   - jupyterclient.go, jupyter_client_start.py: figure 1 through Debian's jupyter_client, beside ipykernel.
//   - runall.go: figure 11, Run All with queued cells built ahead vs one by one.
//   - programs.go: the cells the benchmark runs and their standalone-program twins.
//   - reference.go: go run / go build / process-start baselines in a temporary module.
//   - client.go: Client, a Jupyter frontend over zmq4 that matches replies and iopub to requests (Call).
//   - process.go: StartKernel, Kernel: the kernel process in its own process group, stop and shutdown.
//   - connection.go: connection files (free ports, random key, mode 0600).
//   - procfs.go: RSS, peak RSS, descriptors and the process tree from /proc.
//   - report.go: Report, Result, Target: evaluation, the text table and the JSON file.
//   - stats.go: median, min and max.
package bench
