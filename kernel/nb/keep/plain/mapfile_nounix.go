//go:build !unix

package plain

// MapFile reads the file of kept values at path, of size bytes.
func MapFile(path string, size int64) (data []byte, release func(), err error) {
	data, err = ReadWhole(path, size)
	return data, func() {}, err
}
