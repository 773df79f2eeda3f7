// Package reliability holds the load, fault and security tests of issue 9.
// They build the real gokernel binary, start it on a connection file and
// drive it over ZeroMQ with kernel/bench's client, the way Jupyter does. Each
// test logs its figure on a line starting with "RELIABILITY:" so that
//
//	go test -v -count=1 ./kernel/reliability | grep RELIABILITY:
//
// prints the numbers the README quotes. The default sizes keep `go test
// ./...` fast; GOKERNEL_LONG=1 runs the sizes the issue names (1000
// executes, 100 interrupts, 20 restarts). GOKERNEL_BIN=/path/to/gokernel
// tests a prebuilt binary instead of building one.
//
// Files:
//   - harness_test.go: TestMain (builds the binary), starting kernels, figures, process checks.
//   - badinput_test.go: unsigned, wrongly signed, replayed, malformed, unknown and huge messages.
//   - load_test.go: heartbeat under load, executes in a row, interrupts in a row, disconnect mid-flood.
//   - faults_test.go: parent death, shutdown/restart cycles, unwritable build cache.
//   - diskfull_test.go: the workspace's disk full mid-session and at start, GOCACHE on a full disk (a tmpfs; root only).
//   - symlinks_test.go: paths the kernel writes, planted as symlinks in a shared sticky directory;
//     a toolchain record planted by another user in a shared cache directory.
//   - sharedinstall_test.go: one root install serving a real second system user (root only): cells build from
//     the prebuilt library, the user cannot write into it, a library the user planted is refused.
//   - detached_test.go: issue 18's setsid cell in a real kernel: its detached process is gone within 1 s of
//     the cell's end, a shutdown_request and the kernel's death.
//   - classbench_test.go: a benchmark command (GOKERNEL_CLASS_BENCH=1, root): N students' first cells at
//     once after one root install, and their disk, against no prebuilt library in the same run.
//   - security_test.go: sockets bound to the connection IP only, private workspace modes, connection
//     and history files 0600 even under umask 000.
package reliability
