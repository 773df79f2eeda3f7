//go:build !linux

package engine

import "os/exec"

// runNiced runs cmd at the normal priority: elsewhere a nice value belongs
// to the whole process, and the kernel's own must stay as it is.
func runNiced(cmd *exec.Cmd, nice int) ([]byte, error) {
	return cmd.CombinedOutput()
}
