package nb

import (
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
)

// On Linux a queue listens on an abstract unix socket (a name, not a file):
// it vanishes with the process, so a cell that panics or is interrupted
// before it cleans up leaves nothing in /tmp. Abstract names carry no file
// permissions, so every connection's peer is checked to be this user.

// newSocketAddr returns a fresh socket address and what removes it after
// use (nothing, for an abstract name).
func newSocketAddr() (addr string, cleanup func(), err error) {
	// '@' makes package syscall use the abstract namespace. The name need
	// not be secret (checkPeer guards access), only unique.
	return fmt.Sprintf("@gokernel-q-%d-%016x", os.Getpid(), rand.Uint64()), func() {}, nil
}

// checkPeer refuses a connection from another user.
func checkPeer(fd int) error {
	cred, err := syscall.GetsockoptUcred(fd, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	if err != nil {
		return os.NewSyscallError("getsockopt SO_PEERCRED", err)
	}
	if int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("connection from uid %d refused", cred.Uid)
	}
	return nil
}
