// Package bincache keeps the binaries of cell programs between kernel runs,
// in the user's cache directory, so that a lesson run again after a restart
// ("Restart Kernel and Run All", nbclient, the grader) does not compile and
// link the cells it ran before.
//
// A cell's binary is a pure function of its program's source and of the
// toolchain, flags and cell packages it was built with; the caller folds all
// of that into the key. An entry is a file named by its key. What it holds is
// executed, so the cache trusts an entry only in a directory that is ours and
// closed to others, and only if the entry itself is ours and not writable by
// anyone else; anything else is a miss, never an error.
//
// The cache is bounded in bytes. Reading an entry touches its mtime and the
// oldest entries go first when an Add passes the bound. Kernels of one user
// share the directory: entries appear by rename, so a reader never sees half
// a file, and an entry removed by another kernel's trim is simply a miss.
package bincache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultMax is the default bound of a cache, in bytes: a lesson's binaries
// take 30–70 MB (2.7 MB a cell, 4–5 MB with -race).
const DefaultMax = 256 << 20

// Cache is a directory of binaries named by key.
type Cache struct {
	dir string
	max int64
	// shared: a cache an installer fills for every user of a machine
	// (OpenShared): readable by all, entries copied read-only, no bound.
	shared bool

	mu sync.Mutex // one trim at a time within this process
}

// Open opens (creating it if needed) the cache in dir, bounded to max bytes.
// It refuses a dir that is a symlink, not ours, or open to other users.
func Open(dir string, max int64) (*Cache, error) {
	if max <= 0 {
		return nil, fmt.Errorf("binary cache %s: bound %d bytes: want > 0", dir, max)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("binary cache: %w", err)
	}
	if err := checkPrivateDir(dir); err != nil {
		return nil, err
	}
	return &Cache{dir: dir, max: max}, nil
}

// OpenShared opens (creating it if needed, mode 0755) a cache that an
// installer fills for all users of a machine: entries are read-only copies
// (0555) that everyone may run in place and only the installer may
// replace. Kernels read it with Lookup, after checking who could have
// written it; they never write to it.
func OpenShared(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("binary cache: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("binary cache: %w", err)
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("binary cache %s: not a directory only its owner may write (mode %v)", dir, fi.Mode())
	}
	return &Cache{dir: dir, max: 1 << 62, shared: true}, nil
}

// Shared is a shared cache for reading with Lookup (it creates nothing).
func Shared(dir string) *Cache { return &Cache{dir: dir, max: 1 << 62, shared: true} }

// Lookup returns the path of the entry for key, to be run in place, when
// there is one and trust accepts it (trust decides who may have written a
// shared cache: the caller knows who installed it).
func (c *Cache) Lookup(key string, trust func(name string) error) (string, bool) {
	if !validKey(key) {
		return "", false
	}
	name := filepath.Join(c.dir, key)
	fi, err := os.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 || trust(name) != nil {
		return "", false
	}
	return name, true
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// Fetch makes dst a copy of the entry for key (a hard link when dst is on
// the same file system, else a copy with mode 0700) and reports whether
// there was a trusted entry. dst must not exist.
func (c *Cache) Fetch(key, dst string) bool {
	if !validKey(key) {
		return false
	}
	name := filepath.Join(c.dir, key)
	fi, err := os.Lstat(name)
	if err != nil || !trusted(fi) {
		return false
	}
	now := time.Now()
	os.Chtimes(name, now, now) // most recently used: trimmed last
	if os.Link(name, dst) == nil {
		// The link is the same inode: check it again, in case the entry
		// was swapped between the Lstat and the link (only we can write
		// the directory, so only by another of our own kernels).
		if fi, err := os.Lstat(dst); err == nil && trusted(fi) {
			return true
		}
		os.Remove(dst)
		return false
	}
	return copyFile(name, dst) == nil
}

// Add stores a copy of the binary at bin as the entry for key (bin itself is
// left alone) and trims the cache to its bound. Failing only loses the entry.
func (c *Cache) Add(key, bin string) error {
	if !validKey(key) {
		return fmt.Errorf("binary cache: bad key %q", key)
	}
	tmp := filepath.Join(c.dir, fmt.Sprintf(".%s.%d.tmp", key, os.Getpid()))
	os.Remove(tmp)
	if c.shared {
		// A copy, so that the mode is the entry's own: read-only to all.
		if err := copyFile(bin, tmp); err != nil {
			return fmt.Errorf("binary cache: %w", err)
		}
		if err := os.Chmod(tmp, 0o555); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("binary cache: %w", err)
		}
	} else if err := os.Link(bin, tmp); err != nil {
		if err := copyFile(bin, tmp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("binary cache: %w", err)
		}
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, key)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("binary cache: %w", err)
	}
	c.trim()
	return nil
}

// trim removes the least recently used entries until the cache holds at most
// its bound. Temporary files of other kernels are left to them (a stale one
// older than an hour is removed: its kernel died mid-copy).
func (c *Cache) trim() {
	c.mu.Lock()
	defer c.mu.Unlock()
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type entry struct {
		name string
		size int64
		used time.Time
	}
	var all []entry
	var total int64
	for _, d := range entries {
		fi, err := d.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if strings.HasPrefix(d.Name(), ".") {
			if time.Since(fi.ModTime()) > time.Hour {
				os.Remove(filepath.Join(c.dir, d.Name()))
			}
			continue
		}
		all = append(all, entry{d.Name(), fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	slices.SortFunc(all, func(a, b entry) int { return a.used.Compare(b.used) })
	for _, e := range all {
		if total <= c.max {
			break
		}
		if os.Remove(filepath.Join(c.dir, e.name)) == nil {
			total -= e.size
		}
	}
}

// validKey accepts the hex digests callers use, nothing that could name a
// path elsewhere or a temporary file.
func validKey(key string) bool {
	if len(key) < 16 || len(key) > 128 {
		return false
	}
	for _, r := range key {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// trusted: a regular file (not a symlink), owned by us, that neither group
// nor others may write.
func trusted(fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// checkPrivateDir refuses a directory that is a symlink, not ours, or open
// to other users: they could plant a binary that we would run.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("binary cache: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
		return fmt.Errorf("binary cache %s: not a directory (a symlink or file is in the way)", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("binary cache %s: mode %v is open to other users; want 0700", dir, fi.Mode().Perm())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("binary cache %s: owned by uid %d, not by us", dir, st.Uid)
	}
	return nil
}

// copyFile copies src to a new file dst with mode 0700.
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o700)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	_, err = io.Copy(out, in)
	return err
}

// ErrOff is returned by FromEnv when the cache is turned off.
var ErrOff = errors.New("binary cache off")

// FromEnv opens the user's cache as setting (the value of GOKERNEL_BINCACHE)
// asks: "" for the default (DefaultMax bytes in dir), "off" for none
// (ErrOff), or a bound such as "64MB" or "1GB".
func FromEnv(setting, dir string) (*Cache, error) {
	max := int64(DefaultMax)
	switch s := strings.TrimSpace(strings.ToUpper(setting)); {
	case s == "":
	case s == "OFF" || s == "0":
		return nil, ErrOff
	default:
		n, err := parseSize(s)
		if err != nil {
			return nil, fmt.Errorf("GOKERNEL_BINCACHE=%q: %w (want off, or a size such as 64MB or 1GB)", setting, err)
		}
		max = n
	}
	return Open(dir, max)
}

func parseSize(s string) (int64, error) {
	unit := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, unit = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.n
			break
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 || fmt.Sprint(n) != s {
		return 0, errors.New("not a positive size")
	}
	return n * unit, nil
}
