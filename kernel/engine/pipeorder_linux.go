package engine

import (
	"os"
	"syscall"
	"unsafe"
)

// unreadBytes is how many bytes the pipe holds that nobody has read yet
// (FIONREAD), 0 when that cannot be told.
func unreadBytes(f *os.File) int {
	conn, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	var n int32
	conn.Control(func(fd uintptr) {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); errno != 0 {
			n = 0
		}
	})
	return int(n)
}
