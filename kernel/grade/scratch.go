package grade

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Bounds of a scratch copy: a submission folder is a notebook and a few data
// files, not a disk image.
const (
	maxScratchBytes = 256 << 20
	maxScratchFiles = 10000
)

// scratchCopy copies the directory of the submission at path into a new
// private temporary directory and returns it. Regular files and folders are
// copied; symlinks, other notebooks (other students' submissions in a flat
// folder) and .ipynb_checkpoints are not.
func scratchCopy(path string) (string, error) {
	srcDir := filepath.Dir(path)
	self := filepath.Base(path)
	dst, err := os.MkdirTemp("", "gokernel-grade-*")
	if err != nil {
		return "", err
	}
	var total int64
	files := 0
	err = filepath.WalkDir(srcDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(srcDir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".ipynb_checkpoints" {
				return fs.SkipDir
			}
			return os.Mkdir(filepath.Join(dst, rel), 0o700)
		}
		if !d.Type().IsRegular() || (strings.HasSuffix(d.Name(), ".ipynb") && rel != self) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		files++
		if total > maxScratchBytes || files > maxScratchFiles {
			return fmt.Errorf("the submission's folder %s is too large to copy (over %d MB or %d files)", srcDir, maxScratchBytes>>20, maxScratchFiles)
		}
		return copyFile(p, filepath.Join(dst, rel), info.Mode().Perm())
	})
	if err != nil {
		removeScratch(dst)
		return "", err
	}
	return dst, nil
}

func copyFile(from, to string, perm fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm|0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// removeScratch removes a scratch directory even if a cell made parts of it
// read-only.
func removeScratch(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	os.RemoveAll(dir)
}
