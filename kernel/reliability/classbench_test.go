package reliability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestClassFirstCells is a benchmark command, not a timed test (it asserts
// only that the cells ran): issue 18's figures for one install serving a
// class. As root it installs gokernel once (`install --prefix`, the lesson
// packages prebuilt; GOKERNEL_CLASS_PREBUILT=std for the whole library),
// then N students (system users with fresh homes, GOKERNEL_CLASS_N, default
// 5) run the same notebook at once: a first cell, then a first %race cell.
// It reports each cell's time (median and max over the students) and what
// each student keeps on disk after it, and the same with no prebuilt
// library as the baseline, in the same run:
//
//	GOKERNEL_CLASS_BENCH=1 go test -v -count=1 -run TestClassFirstCells ./kernel/reliability | grep RELIABILITY:
func TestClassFirstCells(t *testing.T) {
	if os.Getenv("GOKERNEL_CLASS_BENCH") == "" {
		t.Skip("a benchmark command: set GOKERNEL_CLASS_BENCH=1 (root; minutes)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("needs root to create the students' system users")
	}
	n := 5
	if v, err := strconv.Atoi(os.Getenv("GOKERNEL_CLASS_N")); err == nil && v > 0 {
		n = v
	}
	prebuiltSet := "lessons"
	if os.Getenv("GOKERNEL_CLASS_PREBUILT") == "std" {
		prebuiltSet = "std"
	}
	base, err := os.MkdirTemp("", "gokernel-class-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	prefix := filepath.Join(base, "prefix")
	exe := filepath.Join(prefix, "bin", "gokernel")
	mkdirs(t, 0o755, filepath.Dir(exe))
	copyFile(t, kernelBin, exe, 0o755)
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	env := func(home string) []string {
		return []string{"HOME=" + home, "PATH=" + filepath.Dir(goBin) + ":/usr/local/bin:/usr/bin:/bin", "TMPDIR=" + filepath.Join(home, "tmp")}
	}
	rootHome := filepath.Join(base, "root-home")
	mkdirs(t, 0o700, rootHome, filepath.Join(rootHome, "tmp"))
	install := exec.Command(exe, "install", "--prefix", prefix, "--prebuilt", prebuiltSet)
	install.Env = env(rootHome)
	if gc, err := exec.Command(goBin, "env", "GOCACHE").Output(); err == nil {
		install.Env = append(install.Env, "GOCACHE="+strings.TrimSpace(string(gc)))
	}
	began := time.Now()
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	figure(t, "class: root's `gokernel install --prefix --prebuilt %s` took %v", prebuiltSet, time.Since(began).Round(100*time.Millisecond))
	prebuilt := filepath.Join(prefix, "share", "jupyter", "kernels", "gokernel", "prebuilt")

	notebook := filepath.Join(base, "first-cells.ipynb")
	writeNotebook(t, notebook, []string{
		`fmt.Println("hello", os.Getuid())`,
		"%race\nvar n int\nvar wg sync.WaitGroup\nfor i := 0; i < 2; i++ { wg.Add(1); go func() { defer wg.Done(); n++ }() }\nwg.Wait()\nfmt.Println(\"race cell ran\")",
	})
	for _, phase := range []struct {
		name     string
		prebuilt string
	}{
		{"with the prebuilt library", prebuilt},
		{"baseline: no prebuilt library (each student's own empty cache)", ""},
	} {
		var students []systemUserInfo
		for i := range n {
			students = append(students, systemUser(t, base, fmt.Sprintf("gk-class-%d", i+1)))
		}
		type result struct {
			cells []time.Duration
			wall  time.Duration
			disk  int64
			err   error
			out   string
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		for i, s := range students {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command("runuser", "-u", s.name, "--", exe, "run", "-v", "--allow-errors", notebook)
				cmd.Env = env(s.home)
				if phase.prebuilt != "" {
					cmd.Env = append(cmd.Env, "GOKERNEL_PREBUILT="+phase.prebuilt)
				}
				start := time.Now()
				out, err := cmd.CombinedOutput()
				r := result{wall: time.Since(start), err: err, out: string(out), cells: cellDurations(string(out))}
				r.disk = dirSize(s.home)
				results[i] = r
			}()
		}
		wg.Wait()
		var first, race, walls []time.Duration
		var disks []int64
		for i, r := range results {
			if r.err != nil || len(r.cells) != 2 || !strings.Contains(r.out, "race cell ran") {
				t.Errorf("%s: student %d: err %v, cells %v:\n%s", phase.name, i+1, r.err, r.cells, r.out)
				continue
			}
			first, race, walls = append(first, r.cells[0]), append(race, r.cells[1]), append(walls, r.wall)
			disks = append(disks, r.disk)
		}
		figure(t, "class of %d at once, %s: first cell median %v max %v; first %%race cell median %v max %v; whole notebook (kernel start to exit) median %v; per-student disk after it (home incl. caches and TMPDIR) median %d KB max %d KB",
			n, phase.name, median(first), slices.Max(append(first, 0)), median(race), slices.Max(append(race, 0)), median(walls),
			medianInt(disks)>>10, slices.Max(append(disks, 0))>>10)
		for _, s := range students {
			exec.Command("userdel", s.name).Run()
			os.RemoveAll(s.home)
		}
	}
}

// cellLine is what `gokernel run -v` logs when a cell ends.
var cellLine = regexp.MustCompile(`msg=cell index=\d+ count=\d+ dur=(\S+)`)

func cellDurations(out string) []time.Duration {
	var ds []time.Duration
	for _, m := range cellLine.FindAllStringSubmatch(out, -1) {
		if d, err := time.ParseDuration(m[1]); err == nil {
			ds = append(ds, d.Round(10*time.Millisecond))
		}
	}
	return ds
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianInt(ns []int64) int64 {
	if len(ns) == 0 {
		return 0
	}
	s := slices.Clone(ns)
	slices.Sort(s)
	return s[len(s)/2]
}
