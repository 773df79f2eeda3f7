package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gokernel/gokernel/kernel"
)

// cellModule is the module path of the workspace module that cell programs
// are built in. It never leaves the workspace.
const cellModule = "gokernel.local/cell"

// Import paths of the packages every cell may use.
const (
	nbImportPath     = kernel.CellModulePath + "/kernel/nb"
	cellrtImportPath = kernel.CellModulePath + "/kernel/nb/cellrt"
	keepImportPath   = kernel.CellModulePath + "/kernel/nb/keep"
	// plainImportPath is keep's package for values of predeclared types,
	// which a program that keeps only such values imports instead (values.go).
	plainImportPath = kernel.CellModulePath + "/kernel/nb/keep/plain"
)

// workspace is the engine's private directory (mode 0700):
//
//	go.mod        module gokernel.local/cell, requiring github.com/gokernel/gokernel
//	              replaced by ./gokernel
//	gokernel/     copy of kernel/nb/** (non-test Go files) from kernel.CellSources
//	build/        importcfg files; prog-*/ per build: main.go, main.a, the binary before it moves to bin/
//	prog/         the program for the `go build` fallback
//	bin/          built binaries, named by the hash of what they were built from
//	run/          working directory of running cells
type workspace struct {
	dir     string
	removed bool
	// created says whether dir itself was created by us (then Close removes
	// it); a caller-provided existing directory keeps its other contents.
	created bool
}

// Subdirectories of the workspace.
const (
	wsCellSources = "gokernel"
	wsBuild       = "build"
	wsProg        = "prog"
	wsBin         = "bin"
	wsRun         = "run"
)

// openWorkspace creates (or adopts) a private workspace. An empty dir makes a
// fresh temporary directory. An existing dir must be a real directory (not a
// symlink), owned by us and closed to others: in a shared /tmp someone else
// could have planted it.
func openWorkspace(dir, goVersion string) (*workspace, error) {
	ws := &workspace{}
	if dir == "" {
		d, err := os.MkdirTemp("", "gokernel-")
		if err != nil {
			return nil, fmt.Errorf("create workspace: %w", err)
		}
		ws.dir, ws.created = d, true
	} else {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("workspace %s: %w", dir, err)
		}
		switch err := os.Mkdir(abs, 0o700); {
		case err == nil:
			ws.created = true
		case errors.Is(err, fs.ErrExist):
			if err := checkPrivateDir(abs); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("create workspace: %w", err)
		}
		ws.dir = abs
	}
	if err := ws.populate(goVersion); err != nil {
		ws.remove()
		return nil, err
	}
	return ws, nil
}

// checkPrivateDir refuses a directory that is a symlink, not ours, or open to
// other users.
func checkPrivateDir(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("workspace %s: %w", dir, err)
	}
	if info.Mode()&fs.ModeSymlink != 0 || !info.IsDir() {
		return fmt.Errorf("workspace %s: not a directory (a symlink or file is in the way)", dir)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("workspace %s: mode %v is open to other users; want 0700", dir, info.Mode().Perm())
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("workspace %s: owned by uid %d, not by us", dir, st.Uid)
	}
	return nil
}

// populate writes go.mod and the cell sources and makes the subdirectories.
func (ws *workspace) populate(goVersion string) error {
	for _, sub := range []string{wsCellSources, wsBuild, wsProg, wsBin, wsRun} {
		if err := os.Mkdir(ws.path(sub), 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("workspace: %w", err)
		}
		if err := checkPrivateDir(ws.path(sub)); err != nil {
			return err
		}
	}
	goMod := fmt.Sprintf("module %s\n\ngo %s\n\nrequire %s v0.0.0\n\nreplace %s => ./%s\n",
		cellModule, goVersion, kernel.CellModulePath, kernel.CellModulePath, wsCellSources)
	if err := writePrivateFile(ws.path("go.mod"), []byte(goMod)); err != nil {
		return err
	}
	srcMod := fmt.Sprintf("module %s\n\ngo %s\n", kernel.CellModulePath, goVersion)
	if err := writePrivateFile(ws.path(wsCellSources, "go.mod"), []byte(srcMod)); err != nil {
		return err
	}
	return writeCellSources(ws.path(wsCellSources, "kernel"), kernel.CellSources)
}

// writeCellSources copies the non-test Go files of src (rooted at "nb") to
// dir/nb/..., replacing what an older kernel binary wrote there.
func writeCellSources(dir string, src fs.FS) error {
	return fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return fs.SkipDir
			}
			target := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(target, 0o700); err != nil {
				return fmt.Errorf("write cell sources: %w", err)
			}
			return nil
		}
		if path.Ext(name) != ".go" || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		data, err := fs.ReadFile(src, name)
		if err != nil {
			return err
		}
		return writePrivateFile(filepath.Join(dir, filepath.FromSlash(name)), data)
	})
}

// writePrivateFile writes data to name (mode 0600) without following a
// symlink at name.
func writePrivateFile(name string, data []byte) error {
	if old, err := os.ReadFile(name); err == nil && string(old) == string(data) {
		return nil // unchanged: keep the mtime, so go's caches stay valid
	}
	// The *os.PathError of each step already names the file and the step.
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// path joins elem to the workspace directory.
func (ws *workspace) path(elem ...string) string {
	return filepath.Join(append([]string{ws.dir}, elem...)...)
}

// remove deletes the workspace: all of it when we created it, else only the
// parts we wrote.
func (ws *workspace) remove() error {
	if ws.removed {
		return nil
	}
	ws.removed = true
	if ws.created {
		return os.RemoveAll(ws.dir)
	}
	var errs []error
	for _, sub := range []string{wsCellSources, wsBuild, wsProg, wsBin, wsRun, "go.mod", "go.sum"} {
		errs = append(errs, os.RemoveAll(ws.path(sub)))
	}
	return errors.Join(errs...)
}

// replaceFile writes data to name through a temporary file of this process
// and a rename, so that kernels sharing the user's cache directory never
// read half a file. Failing is harmless (it is a cache): errors are dropped.
func replaceFile(name string, data []byte) {
	if !privateDir(filepath.Dir(name)) {
		return // someone else's (or a shared) directory: keep nothing there
	}
	tmp := fmt.Sprintf("%s.%d.tmp", name, os.Getpid())
	if writePrivateFile(tmp, data) != nil {
		return
	}
	if os.Rename(tmp, name) != nil {
		os.Remove(tmp)
	}
}

// readPrivateFile reads a file the kernel saved for itself in the user's
// cache directory (the toolchain record, a saved importcfg), which names
// programs and files the kernel will run or link. It refuses, as if the file
// were absent, anything another user could have planted: a symlink, a file
// or directory not owned by us, or one that group or others may write (a
// cache directory pointed at a shared /tmp, say).
func readPrivateFile(name string) ([]byte, error) {
	if !privateDir(filepath.Dir(name)) {
		return nil, fmt.Errorf("read %s: %w: its directory is not private to this user", name, os.ErrPermission)
	}
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !ownedAndNotShared(fi) {
		return nil, fmt.Errorf("read %s: %w: not owned by this user, or writable by others", name, os.ErrPermission)
	}
	return io.ReadAll(f)
}

// privateDir reports whether dir is a real directory (not a symlink) owned
// by us that only we may write.
func privateDir(dir string) bool {
	fi, err := os.Lstat(dir)
	return err == nil && fi.IsDir() && ownedAndNotShared(fi)
}

func ownedAndNotShared(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o022 == 0
}
