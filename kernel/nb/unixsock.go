//go:build unix

package nb

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Queues talk over unix sockets made with package syscall and used as
// pollable *os.File values (deadlines, Close waking blocked reads), rather
// than with package net: a cell that uses nb links net's 650 KB and ~20 ms
// of link time otherwise, for one socket type.

// newUnixSocket makes a non-blocking, close-on-exec stream socket. ForkLock
// keeps a concurrent os/exec from inheriting it between the two steps.
func newUnixSocket() (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	syscall.CloseOnExec(fd)
	return fd, nil
}

// listenUnix listens on a new unix socket at path.
func listenUnix(path string) (*os.File, error) {
	fd, err := newUnixSocket()
	if err != nil {
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, syscall.SOMAXCONN); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("listen", err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// acceptUnix waits for a connection on ln through the runtime's poller;
// closing ln makes it return an error.
func acceptUnix(ln *os.File) (*os.File, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd := -1
	var acceptErr error
	err = rc.Read(func(fd uintptr) bool {
		syscall.ForkLock.RLock()
		nfd, _, acceptErr = syscall.Accept(int(fd))
		if acceptErr == nil {
			syscall.CloseOnExec(nfd)
		}
		syscall.ForkLock.RUnlock()
		return !errors.Is(acceptErr, syscall.EAGAIN) && !errors.Is(acceptErr, syscall.EINTR)
	})
	if err != nil {
		return nil, err
	}
	if acceptErr != nil {
		return nil, os.NewSyscallError("accept", acceptErr)
	}
	if err := checkPeer(nfd); err != nil {
		syscall.Close(nfd)
		return nil, errRefused{err}
	}
	if err := syscall.SetNonblock(nfd, true); err != nil {
		syscall.Close(nfd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	return os.NewFile(uintptr(nfd), "gokernel-queue"), nil
}

// dialUnix connects to the unix socket at path.
func dialUnix(path string) (*os.File, error) {
	fd, err := newUnixSocket()
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("connect %s: %w", path, err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// errRefused is a connection acceptUnix closed at once (another user's):
// the server goes on accepting.
type errRefused struct{ err error }

func (e errRefused) Error() string { return "nb: queue: " + e.err.Error() }
