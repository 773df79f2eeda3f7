package engine

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadPrivateFile checks that records the kernel keeps in the user's
// cache directory are read only when nobody else could have planted them.
func TestReadPrivateFile(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string) string // returns the path to read
		wantOK bool
	}{
		{"our own private file", func(t *testing.T, dir string) string {
			return writeFile(t, dir, "rec", 0o600)
		}, true},
		{"file others may write", func(t *testing.T, dir string) string {
			return writeFile(t, dir, "rec", 0o666)
		}, false},
		{"directory others may write", func(t *testing.T, dir string) string {
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
			return writeFile(t, dir, "rec", 0o600)
		}, false},
		{"symlink to our own file", func(t *testing.T, dir string) string {
			target := writeFile(t, dir, "target", 0o600)
			link := filepath.Join(dir, "rec")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			data, err := readPrivateFile(tt.setup(t, dir))
			if ok := err == nil && string(data) == "record"; ok != tt.wantOK {
				t.Errorf("have read ok=%v (err %v), want %v", ok, err, tt.wantOK)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("record"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}
