//go:build unix

package plain

import (
	"fmt"
	"syscall"
)

// mapFile maps the file of kept values at path, of size bytes, read-only:
// the decoder copies each value from the page cache into its variable once,
// where reading the file would copy it twice and grow the heap of a program
// that has just started by the whole file (starting a garbage collection).
// release unmaps it; nothing decoded points into it (see decoder). A file
// of at most readSmall bytes is read instead.
func mapFile(path string, size int64) (data []byte, release func(), err error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &pathError{"open", path, err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, nil, &pathError{"stat", path, err}
	}
	if st.Size != size {
		return nil, nil, fmt.Errorf("%s holds %d bytes, not the %d kept", path, st.Size, size)
	}
	if size == 0 {
		return nil, func() {}, nil
	}
	if size <= readSmall {
		// Mapping and unmapping a small file costs more than copying it:
		// ten ints load in ≈ 55 µs read, ≈ 140 µs mapped.
		data = make([]byte, size)
		for n := 0; n < len(data); {
			m, err := syscall.Read(fd, data[n:])
			if err != nil {
				return nil, nil, &pathError{"read", path, err}
			}
			if m == 0 {
				return nil, nil, fmt.Errorf("%s is shorter than the %d bytes kept", path, size)
			}
			n += m
		}
		return data, func() {}, nil
	}
	data, err = syscall.Mmap(fd, 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE|mapPopulate)
	if err != nil {
		return nil, nil, &pathError{"mmap", path, err}
	}
	return data, func() { syscall.Munmap(data) }, nil
}

const readSmall = 64 << 10

// pathError is os.PathError's message without package os's file machinery.
type pathError struct {
	op, path string
	err      error
}

func (e *pathError) Error() string { return e.op + " " + e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }
