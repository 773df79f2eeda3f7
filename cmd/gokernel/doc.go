// Command gokernel is a Jupyter kernel for Go and the tools around it.
//
// Each subcommand lives in its own file and registers itself in commands;
// the work is done by packages under kernel/.
//
// Files:
//   - main.go: the command registry, dispatch, usage and exit status.
//   - kernel.go: gokernel kernel, the process Jupyter starts (kernel/server
//     over kernel/transport, the engine started in the background).
//   - install.go: gokernel install, the kernelspec (kernel/install) and the
//     build-cache warm-up.
//   - run.go: gokernel run, a notebook in the terminal (kernel/runner), and
//     parseInterspersed, flags after positional arguments.
//   - release.go: gokernel release, an assignment's student version.
//   - grade.go: gokernel grade, one submission or a folder (kernel/grade).
//   - bench.go: gokernel bench, the benchmark (kernel/bench).
package main
