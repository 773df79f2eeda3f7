package bincache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const key1 = "0123456789abcdef0123456789abcdef"

// newBinary writes a stand-in binary of size bytes (the cache never runs
// what it holds; the engine does).
func newBinary(t *testing.T, size int, fill byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, []byte(strings.Repeat(string(fill), size)), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFetchAfterAdd(t *testing.T) {
	c, err := Open(filepath.Join(t.TempDir(), "bin"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "run")
	if c.Fetch(key1, dst) {
		t.Fatal("empty cache: Fetch reported an entry")
	}
	if err := c.Add(key1, newBinary(t, 100, 'a')); err != nil {
		t.Fatal(err)
	}
	if !c.Fetch(key1, dst) {
		t.Fatal("Fetch after Add: miss")
	}
	data, err := os.ReadFile(dst)
	if err != nil || string(data) != strings.Repeat("a", 100) {
		t.Fatalf("fetched %q, %v", data, err)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("fetched binary mode %v: not executable", fi.Mode())
	}
}

// TestUntrustedEntries: whatever another user (or a mistake) could have put
// in the directory is a miss, never run.
func TestUntrustedEntries(t *testing.T) {
	tests := []struct {
		name  string
		plant func(t *testing.T, dir, name string)
	}{
		{"group-writable", func(t *testing.T, dir, name string) {
			os.WriteFile(name, []byte("x"), 0o700)
			os.Chmod(name, 0o770)
		}},
		{"world-writable", func(t *testing.T, dir, name string) {
			os.WriteFile(name, []byte("x"), 0o700)
			os.Chmod(name, 0o702)
		}},
		{"symlink", func(t *testing.T, dir, name string) {
			target := newBinary(t, 10, 'x')
			if err := os.Symlink(target, name); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, dir, name string) { os.Mkdir(name, 0o700) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(filepath.Join(t.TempDir(), "bin"), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			tt.plant(t, c.Dir(), filepath.Join(c.Dir(), key1))
			dst := filepath.Join(t.TempDir(), "run")
			if c.Fetch(key1, dst) {
				t.Errorf("Fetch trusted a %s entry", tt.name)
			}
			if _, err := os.Lstat(dst); err == nil {
				t.Errorf("Fetch left %s behind", dst)
			}
		})
	}
}

func TestBadKeys(t *testing.T) {
	c, err := Open(filepath.Join(t.TempDir(), "bin"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	bin := newBinary(t, 10, 'k')
	for _, key := range []string{"", "short", "../../etc/passwd0123456789", ".0123456789abcdef0", "0123456789ABCDEF0123", strings.Repeat("a", 200)} {
		if c.Add(key, bin) == nil {
			t.Errorf("Add(%q) accepted", key)
		}
		if c.Fetch(key, filepath.Join(t.TempDir(), "x")) {
			t.Errorf("Fetch(%q) hit", key)
		}
	}
}

func TestOpenRefusesSharedDirs(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string
	}{
		{"open to others", func(t *testing.T) string {
			d := filepath.Join(t.TempDir(), "bin")
			os.Mkdir(d, 0o700)
			os.Chmod(d, 0o777)
			return d
		}},
		{"a symlink", func(t *testing.T) string {
			d := filepath.Join(t.TempDir(), "bin")
			os.Symlink(t.TempDir(), d)
			return d
		}},
		{"a file", func(t *testing.T) string {
			return newBinary(t, 1, 'f')
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Open(tt.setup(t), 1<<20); err == nil {
				t.Errorf("Open accepted a directory that is %s", tt.name)
			}
		})
	}
}

// TestTrimDropsLeastRecentlyUsed: over its bound, the cache drops the
// entries used longest ago; a Fetch counts as a use.
func TestTrimDropsLeastRecentlyUsed(t *testing.T) {
	c, err := Open(filepath.Join(t.TempDir(), "bin"), 250)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{strings.Repeat("a", 32), strings.Repeat("b", 32), strings.Repeat("c", 32)}
	old := time.Now().Add(-time.Hour)
	for i, k := range keys[:2] {
		if err := c.Add(k, newBinary(t, 100, 'a'+byte(i))); err != nil {
			t.Fatal(err)
		}
		// mtimes a second apart: the file system's clock may be coarse.
		ts := old.Add(time.Duration(i) * time.Second)
		os.Chtimes(filepath.Join(c.Dir(), k), ts, ts)
	}
	// Use a, the older: b is now the least recently used.
	if !c.Fetch(keys[0], filepath.Join(t.TempDir(), "run")) {
		t.Fatal("miss")
	}
	if err := c.Add(keys[2], newBinary(t, 100, 'c')); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, true} {
		_, err := os.Stat(filepath.Join(c.Dir(), keys[i]))
		if have := err == nil; have != want {
			t.Errorf("entry %c kept = %v, want %v", 'a'+i, have, want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		setting string
		max     int64
		err     string // "" none, "off" ErrOff, else a substring
	}{
		{"", DefaultMax, ""},
		{"off", 0, "off"},
		{"OFF", 0, "off"},
		{"0", 0, "off"},
		{"64MB", 64 << 20, ""},
		{"1GB", 1 << 30, ""},
		{" 512kb ", 512 << 10, ""},
		{"1000", 1000, ""},
		{"-5MB", 0, "want off, or a size"},
		{"lots", 0, "want off, or a size"},
		{"1.5GB", 0, "want off, or a size"},
	}
	for _, tt := range tests {
		t.Run(tt.setting, func(t *testing.T) {
			c, err := FromEnv(tt.setting, filepath.Join(t.TempDir(), "bin"))
			switch {
			case tt.err == "off":
				if !errors.Is(err, ErrOff) {
					t.Errorf("err %v, want ErrOff", err)
				}
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err %v, want one saying %q", err, tt.err)
				}
			case err != nil:
				t.Fatal(err)
			case c.max != tt.max:
				t.Errorf("bound %d, want %d", c.max, tt.max)
			}
		})
	}
}

// TestSharedCache: an installer's entries are read-only copies that Lookup
// returns for running in place, only when trust accepts them and nobody
// else may write them.
func TestSharedCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bin")
	w, err := OpenShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	bin := newBinary(t, 10, 's')
	if err := w.Add(key1, bin); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, key1)
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o555 {
		t.Fatalf("entry: %v, %v; want mode 0555", fi, err)
	}
	if fi, _ := os.Stat(bin); fi.Mode().Perm() != 0o700 {
		t.Errorf("Add changed the source binary's mode to %v", fi.Mode())
	}
	r := Shared(dir)
	trustAll := func(string) error { return nil }
	refuse := func(string) error { return errors.New("not trusted") }
	if p, ok := r.Lookup(key1, trustAll); !ok || p != name {
		t.Errorf("Lookup: %q, %v; want %s", p, ok, name)
	}
	if _, ok := r.Lookup(key1, refuse); ok {
		t.Error("Lookup returned an entry its trust refused")
	}
	if _, ok := r.Lookup(strings.Repeat("e", 32), trustAll); ok {
		t.Error("Lookup found a missing entry")
	}
	os.Chmod(name, 0o575)
	if _, ok := r.Lookup(key1, trustAll); ok {
		t.Error("Lookup returned a group-writable entry")
	}
	if _, err := OpenShared(t.TempDir() + "/open"); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(t.TempDir(), "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	if _, err := OpenShared(open); err == nil {
		t.Error("OpenShared accepted a directory anyone may write")
	}
}
