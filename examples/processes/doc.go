// Command processes is the Go version of the source article's
// multiprocessing examples (§3.2.1 and §4.2).
//
// Go has no Process(target=f). A Go program starts another program with
// os/exec; to run one of its own functions in a child process it starts its
// own executable again and tells the child, through an environment variable,
// which function to run. The child has its own memory: a global it changes is
// unchanged in the parent.
//
// Run it with
//
//	go run ./examples/processes
//
// Files:
//   - main.go: the child roles (hello, increment, fail), childRole (the
//     dispatch at the top of main), startChild/join (Process.start and
//     Process.join), main.
//   - processes_test.go: TestMain makes the test binary a child too; tests
//     check isolation, exit codes and two children joined like p1, p2.
//   - main_test.go: runs main as `go run` would and checks the lines that
//     carry the lesson.
package main
