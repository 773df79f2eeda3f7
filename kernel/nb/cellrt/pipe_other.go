//go:build !unix

package cellrt

import (
	"os"
	"time"
)

// holdsData reports whether anything was written to the pipe r: a read
// with a short deadline returns what is there at once, or times out.
func holdsData(r *os.File) bool {
	r.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	n, _ := r.Read(b[:])
	return n > 0
}
