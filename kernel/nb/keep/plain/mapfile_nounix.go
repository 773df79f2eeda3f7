//go:build !unix

package plain

// mapFile reads the file of kept values at path, of size bytes.
func mapFile(path string, size int64) (data []byte, release func(), err error) {
	data, err = readWhole(path, size)
	return data, func() {}, err
}
