package reliability

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of the given size (e.g. "8m") on a new
// directory and unmounts it when the test ends. Mounting needs root with
// CAP_SYS_ADMIN: without root the test is skipped loudly (CI runs as root);
// as root, a mount the kernel refuses with EPERM (a container without
// CAP_SYS_ADMIN) is skipped with that reason, and any other failure fails.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("SKIPPED LOUDLY: mounting a small tmpfs to fill needs root (euid %d); CI runs this as root", os.Geteuid())
	}
	dir := t.TempDir() // registered first, so removed after the unmount below
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0700"); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("SKIPPED LOUDLY: root, but mount(2) of a tmpfs is not permitted here (%v): this sandbox lacks CAP_SYS_ADMIN", err)
		}
		t.Fatalf("mount -t tmpfs -o size=%s tmpfs %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			// Something still holds a file there (a process the test could
			// not kill): detach it so the directory can go.
			t.Errorf("unmounting the tmpfs %s: %v; detaching it", dir, err)
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// fillDisk writes name until the file system is full and returns how many
// bytes it took; ENOSPC is the expected end, any other error fails.
func fillDisk(t *testing.T, name string) int64 {
	t.Helper()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	var n int64
	for {
		w, err := f.Write(chunk)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatalf("filling %s: %v", name, err)
		}
		if n > 1<<30 {
			t.Fatalf("wrote 1 GB to %s without filling it: not the small tmpfs", name)
		}
	}
	// Small writes fill the last partial pages.
	for one := []byte{0}; ; {
		if _, err := f.Write(one); err != nil {
			break
		}
		n++
	}
	return n
}

// diskFullWords are what an error about a full disk says.
var diskFullWords = []string{"no space left", "disk full", "disk is full", "file system is full", "enospc"}

// gist is the end of an error's first line, where the go tools put the
// reason ("...: no space left on device"), for a figure line.
func gist(evalue string) string {
	line, _, _ := strings.Cut(evalue, "\n")
	if len(line) > 110 {
		line = "…" + line[len(line)-110:]
	}
	return line
}

func saysDiskFull(text string) bool {
	text = strings.ToLower(text)
	for _, w := range diskFullWords {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// TestDiskFull puts the kernel's TMPDIR (its workspace: sources, objects,
// binaries) on an 8 MB tmpfs, fills it while the kernel runs, and checks
// that a new cell fails with an error saying the disk is full, that the
// kernel still answers, and that once space is freed cells work again.
func TestDiskFull(t *testing.T) {
	disk := mountTmpfs(t, "8m")
	s := start(t, startOptions{env: []string{"TMPDIR=" + disk}})
	s.tmp = disk
	s.hello(2 * time.Minute)

	filler := filepath.Join(disk, "filler")
	filled := fillDisk(t, filler)

	// A source never built before, so the kernel must write a new program.
	outcome := mustFailSayingDiskFull(t, s, fmt.Sprintf("fmt.Println(\"full-%d\")", time.Now().UnixNano()), time.Minute)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	s.hello(time.Minute)
	figure(t, "disk full (workspace on a full 8 MB tmpfs, %.1f MB filled): %s; kernel answered kernel_info; after freeing, next cell ok in %v",
		mb(filled), outcome, time.Since(freed).Round(time.Millisecond))
}

// TestDiskFullAtStart starts the kernel with its TMPDIR already full, so
// not even its workspace can be written: cells must fail saying so, the
// kernel must answer, and once space is freed a cell must work again
// without restarting the kernel.
func TestDiskFullAtStart(t *testing.T) {
	disk := mountTmpfs(t, "8m")
	filler := filepath.Join(disk, "filler")
	filled := fillDisk(t, filler)
	s := start(t, startOptions{env: []string{"TMPDIR=" + disk}})
	s.tmp = disk

	outcome := mustFailSayingDiskFull(t, s, "fmt.Println(\"first\")", 2*time.Minute)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	recovered := "next cell ok"
	if _, err := s.try("fmt.Println(\"after freeing\")", 2*time.Minute); err != nil {
		recovered = "next cell still failed (restart needed)"
		t.Errorf("after freeing the disk the kernel still cannot run a cell: %v\nwant the workspace to be made again (the user should not need a restart)", err)
	}
	figure(t, "disk full at kernel start (%.1f MB filled): %s; kernel answered kernel_info; after freeing: %s",
		mb(filled), outcome, recovered)
}

// TestBuildCacheDiskFull puts GOCACHE on a full 8 MB tmpfs (a full home
// directory): the kernel cannot even warm its cache, so cells must fail
// with an error saying the disk is full, and the kernel must keep
// answering. Freeing space is not followed by a cell here: a cold build of
// the standard library into an empty cache takes most of a minute on a
// shared two-core machine.
//
// The go command itself words this badly ("package fmt is not in std":
// upstream golang/go#60076, open), so the kernel has to recognise the full
// disk (statfs of GOCACHE, say) and say so itself.
func TestBuildCacheDiskFull(t *testing.T) {
	disk := mountTmpfs(t, "8m")
	cache := filepath.Join(disk, "gocache")
	if err := os.Mkdir(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	filled := fillDisk(t, filepath.Join(disk, "filler"))
	s := start(t, startOptions{env: []string{"GOCACHE=" + cache}})
	began := time.Now()
	outcome := mustFailSayingDiskFull(t, s, "fmt.Println(\"cache full?\")", 2*time.Minute)
	outcome += fmt.Sprintf(" after %v", time.Since(began).Round(time.Millisecond))
	figure(t, "GOCACHE on a full 8 MB tmpfs (%.1f MB filled): %s; kernel answered kernel_info", mb(filled), outcome)
}

// mustFailSayingDiskFull runs code on a kernel whose disk is full: the cell
// must fail (not hang, not succeed) with an error that says the disk is
// full, and the kernel must still answer kernel_info. It returns the
// outcome for the test's figure line.
func mustFailSayingDiskFull(t *testing.T, s *session, code string, timeout time.Duration) string {
	t.Helper()
	call, err := s.try(code, timeout)
	outcome := ""
	switch {
	case err == nil:
		t.Errorf("a cell succeeded with the disk full; want it to fail saying the disk is full")
		outcome = "cell ran (?)"
	case errors.Is(err, context.DeadlineExceeded):
		t.Fatalf("cell hung with the disk full: %v\nlog:\n%s", err, s.k.Output())
	default:
		r, _ := call.ExecuteReply()
		text := r.Ename + ": " + r.Evalue + "\n" + strings.Join(r.Traceback, "\n")
		if !saysDiskFull(text) {
			t.Errorf("have error %q, want it to say the disk is full (one of %q)", text, diskFullWords)
		}
		outcome = fmt.Sprintf("cell failed with %s %q (says disk full: %v)", r.Ename, gist(r.Evalue), saysDiskFull(text))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.c.KernelInfo(ctx); err != nil {
		t.Fatalf("kernel stopped answering with the disk full: %v\nlog:\n%s", err, s.k.Output())
	}
	return outcome
}
