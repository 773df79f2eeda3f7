//go:build unix

package cellrt

import (
	"os"
	"syscall"
)

// holdsData reports whether anything was written to the pipe r, with one
// read that does not wait: what was written is in the pipe already. (A read
// with a deadline would cost every cell the deadline; one already passed
// fails before looking.)
func holdsData(r *os.File) bool {
	rc, err := r.SyscallConn()
	if err != nil {
		return false
	}
	var n int
	var b [1]byte
	rc.Read(func(fd uintptr) bool {
		n, _ = syscall.Read(int(fd), b[:])
		return true // done, whatever it found: never wait for more
	})
	return n > 0
}
