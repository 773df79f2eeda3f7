//go:build !linux

package runner

import (
	"errors"
	"os"
)

// IsTerminal reports whether f is a terminal. Off Linux it only checks for a
// character device.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func disableEcho(*os.File) (func(), error) { return nil, errors.New("not supported on this system") }
