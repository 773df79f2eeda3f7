package runner

import (
	"os"
	"syscall"
	"unsafe"
)

// IsTerminal reports whether f is a terminal (a character device that
// answers the terminal ioctl; /dev/null does not).
func IsTerminal(f *os.File) bool {
	var t syscall.Termios
	return ioctl(f.Fd(), syscall.TCGETS, &t) == nil
}

// disableEcho switches off the terminal's echo and returns a function that
// switches it back on.
func disableEcho(f *os.File) (restore func(), err error) {
	var old syscall.Termios
	if err := ioctl(f.Fd(), syscall.TCGETS, &old); err != nil {
		return nil, err
	}
	quiet := old
	quiet.Lflag &^= syscall.ECHO
	if err := ioctl(f.Fd(), syscall.TCSETS, &quiet); err != nil {
		return nil, err
	}
	return func() { ioctl(f.Fd(), syscall.TCSETS, &old) }, nil
}

func ioctl(fd uintptr, req uintptr, t *syscall.Termios) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(t))); errno != 0 {
		return errno
	}
	return nil
}
