package reliability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// plantedFile is a file another user of a shared /tmp could have set up.
type plantedFile struct {
	content string
	mode    os.FileMode
	modTime time.Time
}

func snapshotFile(t *testing.T, name string) plantedFile {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return plantedFile{content: string(b), mode: fi.Mode(), modTime: fi.ModTime()}
}

// TestPlantedSymlinks plays an attacker who shares the kernel's /tmp: the
// kernel's TMPDIR, Jupyter data dir and cache dir are in a world-writable
// sticky directory, and every path the kernel writes there by a name it can
// be predicted to use is already a symlink to a victim file: the history
// file (JUPYTER_DATA_DIR/gokernel/history.jsonl), the saved toolchain
// record (XDG_CACHE_HOME/gokernel/toolchain.json), and workspace-like names
// (TMPDIR/gokernel-*; the real name is random, see workspace.go). Cells
// must still run, and the victim file must be unchanged.
func TestPlantedSymlinks(t *testing.T) {
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE: %v", err)
	}
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o1777); err != nil { // like /tmp
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim.txt")
	if err := os.WriteFile(victim, []byte("the victim's own data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(victim, old, old); err != nil {
		t.Fatal(err)
	}
	before := snapshotFile(t, victim)

	tmp := filepath.Join(shared, "tmp")
	data := filepath.Join(shared, "jupyter-data")
	cache := filepath.Join(shared, "cache")
	planted := []string{
		filepath.Join(data, "gokernel", "history.jsonl"),
		filepath.Join(cache, "gokernel", "toolchain.json"),
	}
	for i := range 20 {
		planted = append(planted, filepath.Join(tmp, fmt.Sprintf("gokernel-%d", 1000000000+i)))
	}
	for _, p := range planted {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, p); err != nil {
			t.Fatal(err)
		}
	}

	s := start(t, startOptions{env: []string{
		"TMPDIR=" + tmp, "JUPYTER_DATA_DIR=" + data, "XDG_CACHE_HOME=" + cache,
		// XDG_CACHE_HOME moves go's default build cache too: keep the warm one.
		"GOCACHE=" + strings.TrimSpace(string(gocache)),
	}})
	s.tmp = tmp
	cells := 0
	for range 3 {
		s.hello(2 * time.Minute)
		cells++
	}
	s.execute(`import "os"

f, err := os.CreateTemp("", "cell-*")
if err != nil {
	panic(err)
}
f.WriteString("a cell's own temp file")
f.Close()
os.Remove(f.Name())
`, time.Minute)
	cells++

	after := snapshotFile(t, victim)
	if after != before {
		t.Errorf("the victim file behind the planted symlinks changed:\nbefore %q %v %v\nafter  %q %v %v",
			before.content, before.mode, before.modTime, after.content, after.mode, after.modTime)
	}
	for _, p := range planted {
		// A planted link may be gone (replaced by a rename: fine) but must
		// not have been turned to point elsewhere.
		if target, err := os.Readlink(p); err == nil && target != victim {
			t.Errorf("%s now points to %s, want %s or no link", p, target, victim)
		}
	}
	// Refusing the planted history file must be said, not silent.
	historyWarnings := 0
	for line := range strings.Lines(s.k.Output()) {
		if strings.Contains(line, "history") {
			historyWarnings++
		}
	}
	if historyWarnings == 0 {
		t.Errorf("the kernel's log says nothing about the history file it could not use:\n%s", s.k.Output())
	}
	figure(t, "planted symlinks (history file, toolchain record, %d workspace names) in a shared sticky dir: %d cells ok, victim file unchanged: %v, %d log lines about the refused history file",
		len(planted)-2, cells, after == before, historyWarnings)
}
