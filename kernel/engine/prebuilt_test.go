package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/engine/bincache"
)

// TestTrustChecker checks the rule for files another user may have
// planted: a prebuilt library is used only when nobody but root, us or the
// kernel binary's owner could have written it or a directory above it.
func TestTrustChecker(t *testing.T) {
	const nobody = 65534
	tests := []struct {
		name    string
		root    bool                                         // needs root (chown)
		setup   func(t *testing.T, dir string) (path string) // dir is 0755, ours
		wantOK  bool
		wantWhy string
	}{
		{"our read-only file", false, func(t *testing.T, dir string) string {
			return plant(t, dir, "a", 0o444)
		}, true, ""},
		{"file writable by the group", false, func(t *testing.T, dir string) string {
			return plant(t, dir, "a", 0o464)
		}, false, "writable by other users"},
		{"directory above writable by others", false, func(t *testing.T, dir string) string {
			sub := filepath.Join(dir, "open")
			mkdirMode(t, sub, 0o777)
			return plant(t, sub, "a", 0o444)
		}, false, "writable by other users"},
		{"sticky world-writable directory above (like /tmp)", false, func(t *testing.T, dir string) string {
			sub := filepath.Join(dir, "sticky")
			mkdirMode(t, sub, 0o777|os.ModeSticky)
			inner := filepath.Join(sub, "lib")
			mkdirMode(t, inner, 0o755)
			return plant(t, inner, "a", 0o444)
		}, true, ""},
		{"symlink to our file", false, func(t *testing.T, dir string) string {
			target := plant(t, dir, "a", 0o444)
			link := filepath.Join(dir, "link")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, false, "symlink"},
		{"file owned by another user", true, func(t *testing.T, dir string) string {
			p := plant(t, dir, "a", 0o444)
			chown(t, p, nobody)
			return p
		}, false, "owned by uid 65534"},
		{"directory above owned by another user", true, func(t *testing.T, dir string) string {
			sub := filepath.Join(dir, "theirs")
			mkdirMode(t, sub, 0o755)
			p := plant(t, sub, "a", 0o444)
			chown(t, sub, nobody)
			return p
		}, false, "owned by uid 65534"},
		{"another user's sticky directory above", true, func(t *testing.T, dir string) string {
			sub := filepath.Join(dir, "theirsticky")
			mkdirMode(t, sub, 0o777|os.ModeSticky)
			p := plant(t, sub, "a", 0o444)
			chown(t, sub, nobody)
			return p
		}, false, "owned by uid 65534"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Geteuid() != 0 {
				if os.Getenv("CI") == "true" {
					t.Fatal("CI runs as root; this case needs root to own files as another user")
				}
				t.Skipf("SKIPPED LOUDLY: needs root to own files as another user (euid %d)", os.Geteuid())
			}
			dir := openTempDir(t)
			err := newTrustChecker().check(tt.setup(t, dir))
			if ok := err == nil; ok != tt.wantOK {
				t.Fatalf("have trusted=%v (err %v), want %v", ok, err, tt.wantOK)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantWhy) {
				t.Errorf("error %q does not say %q", err, tt.wantWhy)
			}
		})
	}
}

// TestReadPrebuiltRefusesPathsOutside checks that an importcfg naming an
// archive outside its library is refused even when every file is ours.
func TestReadPrebuiltRefusesPathsOutside(t *testing.T) {
	dir := openTempDir(t)
	keyDir := filepath.Join(dir, "k")
	mkdirMode(t, keyDir, 0o755)
	inside := plant(t, keyDir, "fmt.a", 0o444)
	outside := plant(t, dir, "evil.a", 0o444)
	for _, tt := range []struct {
		name, cfg, wantWhy string
	}{
		{"archive outside the library", "packagefile fmt=" + outside + "\n", "outside"},
		{"path with ..", "packagefile fmt=" + keyDir + "/../evil.a\n", "outside"},
		{"not a packagefile line", "importmap fmt=evil\n", "unexpected line"},
		{"library without the runtime", "packagefile fmt=" + inside + "\n", "lacks runtime"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(keyDir, "importcfg")
			os.Remove(cfg)
			if err := os.WriteFile(cfg, []byte(tt.cfg), 0o444); err != nil {
				t.Fatal(err)
			}
			_, err := readPrebuilt(dir, "k", false)
			if err == nil || !strings.Contains(err.Error(), tt.wantWhy) {
				t.Errorf("have err %v, want one saying %q", err, tt.wantWhy)
			}
		})
	}
}

// TestPrebuiltLibraryBuildsCells prebuilds the lesson packages, then runs
// cells (plain and %race) in an engine whose build cache is empty and
// unwritable: they can only build from the prebuilt library.
func TestPrebuiltLibraryBuildsCells(t *testing.T) {
	if testing.Short() {
		t.Skip("prebuilds the lesson packages (tens of seconds on a cold cache)")
	}
	ctx := context.Background()
	dir := filepath.Join(openTempDir(t), "prebuilt")
	report, err := Prebuild(ctx, PrebuildOptions{Dir: dir, Lessons: true})
	if err != nil {
		t.Fatal(err)
	}
	if report.Packages < len(warmPackages) || report.RaceErr != nil {
		t.Fatalf("prebuilt %d packages (race: %d, err %v), want at least the %d lesson packages", report.Packages, report.RacePackages, report.RaceErr, len(warmPackages))
	}
	// Everything in it is read-only.
	filepath.WalkDir(report.Dir, func(p string, d os.DirEntry, err error) error {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Error(err)
			return nil
		}
		if want := os.FileMode(0o444); fi.IsDir() && fi.Mode().Perm() != 0o755 || !fi.IsDir() && fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want 0444 files and 0755 directories", p, fi.Mode())
		}
		return nil
	})
	// Installing again changes nothing (running kernels link against it).
	fmtA := filepath.Join(report.Dir, "pkg", "plain", "fmt.a")
	before, err := os.Stat(fmtA)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Prebuild(ctx, PrebuildOptions{Dir: dir, Lessons: true})
	if err != nil || !again.Unchanged || again.Dir != report.Dir {
		t.Errorf("second Prebuild: %+v, %v; want the library kept", again, err)
	}
	if after, err := os.Stat(fmtA); err != nil || !os.SameFile(before, after) {
		t.Errorf("second Prebuild replaced %s (err %v)", fmtA, err)
	}
	gocache := t.TempDir() // must stay empty: nothing is built per user
	t.Setenv("GOCACHE", gocache)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	e, err := New(ctx, Config{Prebuilt: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// The %race cell first: its export data must come from the library
	// too, not be compiled into the user's cache while the race-built
	// library is being looked up.
	for i, code := range []string{"%race\nfmt.Println(strings.ToUpper(\"prebuilt\"))", `fmt.Println(strings.ToUpper("prebuilt"))`} {
		out := execCell(t, e, i+1, code)
		if out.Err != nil || !strings.Contains(out.Stdout, "PREBUILT") {
			t.Errorf("cell %q: printed %q, error %v", code, out.Stdout, out.Err)
		}
	}
	var built []string
	filepath.WalkDir(gocache, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			built = append(built, strings.TrimPrefix(p, gocache))
		}
		return nil
	})
	if len(built) > 0 {
		t.Errorf("the user's build cache holds %d files after the cells (%.3q...): something was compiled per user", len(built), built[:min(3, len(built))])
	}

	// Binaries an installer built beside the library (install --notebooks)
	// are run in place by every kernel using it, if nobody else could have
	// written them.
	shared, err := bincache.OpenShared(report.ClassBinDir())
	if err != nil {
		t.Fatal(err)
	}
	installer, err := New(ctx, Config{Prebuilt: dir, BinaryCache: shared})
	if err != nil {
		t.Fatal(err)
	}
	defer installer.Close()
	program := func(word string) buildRequest {
		return buildRequest{Imports: []string{"fmt"},
			Source: []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"" + word + "\") }\n")}
	}
	for _, word := range []string{"class", "tampered"} {
		if res, err := installer.build.build(ctx, program(word)); err != nil || res.How != "direct" {
			t.Fatalf("installer's build: %+v, %v", res, err)
		}
	}
	installer.build.diskAdds.Wait()
	entries, _ := os.ReadDir(report.ClassBinDir())
	for _, ent := range entries {
		if fi, _ := ent.Info(); fi.Mode().Perm() != 0o555 {
			t.Errorf("class binary %s: mode %v, want 0555", ent.Name(), fi.Mode())
		}
	}
	res, err := e.build.build(ctx, program("class"))
	if err != nil || res.How != "class cache" || !strings.HasPrefix(res.Binary, report.ClassBinDir()) {
		t.Errorf("a student's kernel built %+v (%v); want the installer's binary, run in place", res, err)
	} else if out, err := exec.Command(res.Binary).Output(); err != nil || string(out) != "class\n" {
		t.Errorf("class binary printed %q (%v)", out, err)
	}
	// Make every entry writable by others: none may be trusted now.
	for _, ent := range entries {
		os.Chmod(filepath.Join(report.ClassBinDir(), ent.Name()), 0o557)
	}
	if res, err := e.build.build(ctx, program("tampered")); err != nil || res.How != "direct" {
		t.Errorf("with the class binary writable by others, a student's kernel built %+v (%v); want its own build", res, err)
	}

	// A module's packages are compiled against the library too, plain and
	// race-built, not by `go build` (which compiles the standard library
	// into the user's cache).
	if os.Getenv("GOPROXY") == "off" {
		t.Skip("GOPROXY=off: the rest fetches a module")
	}
	if out := execCell(t, e, 3, errgroupCell); out.Err != nil || !strings.Contains(out.Stdout, "wait: <nil>") {
		t.Fatalf("errgroup cell: printed %q, error %v", out.Stdout, out.Err)
	}
	for _, race := range []bool{false, true} {
		src := "package main\n\nimport (\n\t\"fmt\"\n\t\"golang.org/x/sync/errgroup\"\n)\n\nfunc main() {\n\tvar g errgroup.Group\n\tfmt.Println(g.Wait())\n}\n"
		res, err := e.build.build(ctx, buildRequest{Source: []byte(src), Imports: []string{"fmt", "golang.org/x/sync/errgroup"}, Race: race})
		if err != nil || res.How != "direct with modules" {
			t.Errorf("race=%v: module program built %q, err %v; want direct with modules", race, res.How, err)
		}
	}
}

func openTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gokernel-prebuilt-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func plant(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("archive"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func mkdirMode(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, p string, uid int) {
	t.Helper()
	if err := os.Lchown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
}
