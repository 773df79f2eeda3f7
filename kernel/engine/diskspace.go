package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lowDiskBytes is the free space under which a build directory counts as full.
const lowDiskBytes = 1 << 20

// fullBuildDisks names the directories a build writes to (the Go build
// cache, the temporary directory) whose file system is full. The go command
// reports a full build cache misleadingly ("package fmt is not in std"), so
// a failed build checks the disks itself and says what is wrong.
func fullBuildDisks() []string {
	var full []string
	for _, d := range buildDirs() {
		var st syscall.Statfs_t
		if err := syscall.Statfs(d.dir, &st); err != nil {
			continue
		}
		if st.Bavail*uint64(st.Bsize) < lowDiskBytes {
			full = append(full, fmt.Sprintf("%s=%s", d.name, d.dir))
		}
	}
	return full
}

type buildDir struct{ name, dir string }

// buildDirs are where builds write: GOCACHE (go's default when unset) and
// TMPDIR.
func buildDirs() []buildDir {
	cache := os.Getenv("GOCACHE")
	if cache == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(dir, "go-build")
		}
	}
	dirs := []buildDir{{"TMPDIR", os.TempDir()}}
	if cache != "" && cache != "off" {
		dirs = append([]buildDir{{"GOCACHE", cache}}, dirs...)
	}
	return dirs
}
