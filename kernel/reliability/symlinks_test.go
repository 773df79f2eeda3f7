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

// TestForgedToolchainRecord plays an attacker who got to the kernel's cache
// directory first in a shared location (XDG_CACHE_HOME under /tmp): they
// own its gokernel/ directory (mode 0777) and put a toolchain record there
// whose tool directory holds their own `compile` and `link`. The kernel
// must not run them. As a control, the same record in a directory of our
// own must be used (so the forgery is one the kernel would accept, and a
// pass is not vacuous). Needs root to own files as another user.
func TestForgedToolchainRecord(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skipf("SKIPPED LOUDLY: planting files owned by another user needs root (euid %d); CI runs this as root", os.Geteuid())
	}
	const nobody = 65534
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goBin, "env", "GOCACHE", "GOTOOLDIR", "GOROOT", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	env := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(env) != 4 {
		t.Fatalf("go env printed %q", out)
	}
	gocache, toolDir, goroot, goVersion := env[0], env[1], env[2], strings.TrimPrefix(env[3], "go")
	langVer := goVersion
	if parts := strings.SplitN(goVersion, ".", 3); len(parts) >= 2 {
		langVer = parts[0] + "." + parts[1]
	}
	fi, err := os.Stat(goBin)
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name     string
		attacker bool // the gokernel/ cache dir and record belong to another user, mode 0777
	}{
		{"our own cache dir (control: the record is used)", false},
		{"another user's cache dir", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			shared := t.TempDir()
			if err := os.Chmod(shared, 0o1777); err != nil {
				t.Fatal(err)
			}
			// The fake tools: log that they ran, then do the real work, so
			// the control's cells still build.
			fakeTools := filepath.Join(shared, "tools")
			marker := filepath.Join(shared, "attacker-tool-ran")
			if err := os.Mkdir(fakeTools, 0o755); err != nil {
				t.Fatal(err)
			}
			entries, err := os.ReadDir(toolDir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				script := fmt.Sprintf("#!/bin/sh\necho %s >> '%s'\nexec '%s' \"$@\"\n", e.Name(), marker, filepath.Join(toolDir, e.Name()))
				if err := os.WriteFile(filepath.Join(fakeTools, e.Name()), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cache := filepath.Join(shared, "cache")
			dir := filepath.Join(cache, "gokernel")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			// The record as toolchain.go writes it: keyed by the go
			// command's path, size and mtime and the environment go env reads.
			key := fmt.Sprintf("%s %d %d %s %s %s", goBin, fi.Size(), fi.ModTime().UnixNano(),
				os.Getenv("GOROOT"), os.Getenv("GOTOOLCHAIN"), os.Getenv("GOENV"))
			record := fmt.Sprintf(`{"Key":%q,"GoBin":%q,"GOROOT":%q,"ToolDir":%q,"Version":%q,"LangVer":%q}`,
				key, goBin, goroot, fakeTools, goVersion, langVer)
			recordFile := filepath.Join(dir, "toolchain.json")
			if err := os.WriteFile(recordFile, []byte(record), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.attacker {
				for _, p := range []string{dir, recordFile} {
					if err := os.Chown(p, nobody, nobody); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Chmod(dir, 0o777); err != nil {
					t.Fatal(err)
				}
			}
			s := start(t, startOptions{env: []string{"XDG_CACHE_HOME=" + cache, "GOCACHE=" + gocache}})
			_, cellErr := s.try(fmt.Sprintf("fmt.Println(\"forged-%d\")", time.Now().UnixNano()), 2*time.Minute)
			ran, _ := os.ReadFile(marker)
			used := len(ran) > 0
			switch {
			case !tt.attacker && !used:
				t.Fatalf("the forged record was not used even from our own cache dir (cell error: %v): the record's format or key changed; update this test to match kernel/engine/toolchain.go", cellErr)
			case !tt.attacker && cellErr != nil:
				t.Errorf("control: cell failed with the wrapped tools: %v", cellErr)
			case tt.attacker && used:
				t.Errorf("the kernel ran tools named by a toolchain record another user (uid %d) planted in a world-writable %s: ran %q; want records not owned by us, or in a directory others can write, ignored",
					nobody, dir, strings.Fields(string(ran)))
			case tt.attacker && cellErr != nil:
				t.Errorf("with a planted record ignored, the cell must still run: %v", cellErr)
			}
			figure(t, "toolchain record in %s: the kernel ran the record's tools: %v (%d tool runs)", tt.name, used, len(strings.Fields(string(ran))))
		})
	}
}
