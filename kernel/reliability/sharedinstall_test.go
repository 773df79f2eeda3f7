package reliability

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSharedInstallSecondUser installs gokernel once as root with
// `gokernel install --prefix` (the lesson packages prebuilt, to keep the
// test short) and runs a notebook as a real system user, as a hub's student
// would: the cells build from the shared library (the student's own Go build
// cache stays empty), the student cannot write into it, and a library the
// student planted is not used by another user's kernel. As a control, the same
// planted library owned by root is used (so the refusal is what keeps it
// out, and a pass is not vacuous). Needs root to create users.
func TestSharedInstallSecondUser(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root; this test needs root to create system users")
		}
		t.Skipf("SKIPPED LOUDLY: creating system users needs root (euid %d); CI runs this as root", os.Geteuid())
	}
	for _, tool := range []string{"useradd", "userdel", "runuser"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s: %v (Debian's passwd and util-linux provide it)", tool, err)
		}
	}
	// Everything the students use must be reachable by them: a 0755 tree
	// outside the test's private temp dirs.
	base, err := os.MkdirTemp("", "gokernel-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(base, "prefix")
	exe := filepath.Join(prefix, "bin", "gokernel")
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, kernelBin, exe, 0o755)
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	// The students' environment, and root's for the install: the same Go,
	// nothing else from the test's environment.
	cleanEnv := func(home string) []string {
		return []string{"HOME=" + home, "PATH=" + filepath.Dir(goBin) + ":/usr/local/bin:/usr/bin:/bin", "TMPDIR=" + filepath.Join(home, "tmp")}
	}
	rootHome := filepath.Join(base, "root-home")
	mkdirs(t, 0o700, rootHome, filepath.Join(rootHome, "tmp"))
	install := exec.Command(exe, "install", "--prefix", prefix, "--prebuilt", "lessons")
	install.Env = append(cleanEnv(rootHome), "GOCACHE="+os.Getenv("GOCACHE"))
	if install.Env[len(install.Env)-1] == "GOCACHE=" {
		install.Env = install.Env[:len(install.Env)-1]
		if gc, err := exec.Command(goBin, "env", "GOCACHE").Output(); err == nil {
			install.Env = append(install.Env, "GOCACHE="+strings.TrimSpace(string(gc))) // root's warm cache
		}
	}
	began := time.Now()
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("gokernel install: %v\n%s", err, out)
	}
	installTook := time.Since(began)
	specDir := filepath.Join(prefix, "share", "jupyter", "kernels", "gokernel")
	var spec struct{ Env map[string]string }
	if data, err := os.ReadFile(filepath.Join(specDir, "kernel.json")); err != nil || json.Unmarshal(data, &spec) != nil {
		t.Fatalf("kernel.json: %v %s", err, data)
	}
	prebuilt := spec.Env["GOKERNEL_PREBUILT"]
	if prebuilt != filepath.Join(specDir, "prebuilt") {
		t.Fatalf("kernel.json env GOKERNEL_PREBUILT=%q, want %s", prebuilt, filepath.Join(specDir, "prebuilt"))
	}
	keyDirs, _ := filepath.Glob(filepath.Join(prebuilt, "*", "importcfg"))
	if len(keyDirs) != 1 {
		t.Fatalf("want one prebuilt library in %s, have %v", prebuilt, keyDirs)
	}
	keyDir := filepath.Dir(keyDirs[0])

	notebook := filepath.Join(base, "lesson.ipynb")
	writeNotebook(t, notebook, []string{
		`fmt.Println("uid", os.Getuid(), strings.Repeat("ok", 2))`,
		"%race\nvar n int\nvar wg sync.WaitGroup\nfor i := 0; i < 2; i++ { wg.Add(1); go func() { defer wg.Done(); n++ }() }\nwg.Wait()\nfmt.Println(\"race cell ran\")",
	})
	alice := systemUser(t, base, "gk-test-alice")

	// 1. A student's cells build from the shared library.
	out, took, err := runAs(alice, cleanEnv(alice.home), prebuilt, exe, notebook)
	if err != nil {
		t.Fatalf("alice's notebook: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("uid %d okok", alice.uid); !strings.Contains(out, want) || !strings.Contains(out, "race cell ran") || !strings.Contains(out, "DataRace") {
		t.Errorf("alice's notebook printed %q; want %q, the race cell's line and its DataRace", out, want)
	}
	cache := dirSize(filepath.Join(alice.home, ".cache"))
	goBuild := dirSize(filepath.Join(alice.home, ".cache", "go-build"))
	if goBuild > 1<<20 {
		t.Errorf("alice's Go build cache holds %d KB after two cells: the standard library was built per user", goBuild>>10)
	}

	// 2. She cannot write into the shared part.
	for _, target := range []string{filepath.Join(keyDir, "importcfg"), filepath.Join(keyDir, "pkg", "plain", "fmt.a")} {
		if err := exec.Command("runuser", "-u", alice.name, "--", "sh", "-c", `echo planted >> "$0"`, target).Run(); err == nil {
			t.Errorf("alice could append to %s", target)
		}
	}
	if err := exec.Command("runuser", "-u", alice.name, "--", "touch", filepath.Join(keyDir, "pkg", "plain", "planted.a")).Run(); err == nil {
		t.Errorf("alice could create a file in the shared library")
	}

	// 3. A library she planted (a copy with a broken fmt) is not used by
	// another user's kernel (root's, whose own build cache is warm, so the
	// fallback is quick); the same library owned by root is (the control).
	for _, tt := range []struct {
		name  string
		owner *systemUserInfo // nil: root
	}{
		{"owned by root (control: it is used)", nil},
		{"owned by another student", &alice},
	} {
		t.Run(tt.name, func(t *testing.T) {
			planted := filepath.Join(base, "planted-"+strconv.Itoa(len(tt.name)))
			if out, err := exec.Command("cp", "-a", prebuilt, planted).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v %s", err, out)
			}
			plantedKey := filepath.Join(planted, filepath.Base(keyDir))
			// Its importcfg must name its own archives (paths are absolute).
			for _, cfg := range []string{"importcfg", "importcfg-race"} {
				p := filepath.Join(plantedKey, cfg)
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				os.Chmod(p, 0o644)
				if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(data), keyDir, plantedKey)), 0o444); err != nil {
					t.Fatal(err)
				}
				os.Chmod(p, 0o444)
			}
			fmtA := filepath.Join(plantedKey, "pkg", "plain", "fmt.a")
			os.Chmod(fmtA, 0o644)
			if err := os.WriteFile(fmtA, []byte("not an archive\n"), 0o444); err != nil {
				t.Fatal(err)
			}
			os.Chmod(fmtA, 0o444)
			if tt.owner != nil {
				if out, err := exec.Command("chown", "-R", tt.owner.name, planted).CombinedOutput(); err != nil {
					t.Fatalf("chown: %v %s", err, out)
				}
			}
			victim := exec.Command(exe, "run", "--allow-errors", notebook)
			victim.Env = append(slices.Clone(install.Env), "GOKERNEL_PREBUILT="+planted)
			outBytes, err := victim.CombinedOutput()
			out := string(outBytes)
			// The broken fmt makes the first cell fail to build.
			usedPlanted := !strings.Contains(out, "okok")
			if tt.owner == nil && !usedPlanted {
				t.Errorf("control: a root-owned library with a broken fmt should break the first cell; it ran (err %v):\n%s", err, out)
			}
			if tt.owner != nil {
				if usedPlanted || err != nil {
					t.Errorf("root's kernel used the library alice planted (or failed otherwise): %v\n%s", err, out)
				}
				if !strings.Contains(out, "prebuilt library not used") || !strings.Contains(out, "owned by uid "+strconv.Itoa(alice.uid)) {
					t.Errorf("the kernel does not say why it refused the planted library:\n%s", out)
				}
			}
		})
	}
	figure(t, "shared install (lesson packages prebuilt as root in %v): a student's first notebook (plain + %%race cell) in %v; their ~/.cache %d KB (go-build %d KB); writes into the shared part refused; a library planted by another student refused",
		installTook.Round(100*time.Millisecond), took.Round(10*time.Millisecond), cache>>10, goBuild>>10)
}

type systemUserInfo struct {
	name string
	uid  int
	home string
}

// systemUser creates a system user with a private home under base (removed
// with the test), as a hub's spawner would give each student.
func systemUser(t *testing.T, base, name string) systemUserInfo {
	t.Helper()
	home := filepath.Join(base, name)
	if _, err := user.Lookup(name); err == nil {
		exec.Command("userdel", name).Run() // a leftover of an interrupted run
	}
	if out, err := exec.Command("useradd", "--system", "--home-dir", home, "--shell", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	mkdirs(t, 0o700, home, filepath.Join(home, "tmp"))
	for _, d := range []string{home, filepath.Join(home, "tmp")} {
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return systemUserInfo{name: name, uid: uid, home: home}
}

// runAs runs `gokernel run --allow-errors NOTEBOOK` as u with the shared
// library prebuilt, and returns its output and how long it took.
func runAs(u systemUserInfo, env []string, prebuilt, exe, notebook string) (string, time.Duration, error) {
	cmd := exec.Command("runuser", "-u", u.name, "--", exe, "run", "--allow-errors", notebook)
	cmd.Env = append(env, "GOKERNEL_PREBUILT="+prebuilt)
	began := time.Now()
	out, err := cmd.CombinedOutput()
	return string(out), time.Since(began), err
}

func writeNotebook(t *testing.T, path string, cells []string) {
	t.Helper()
	type cell struct {
		CellType string         `json:"cell_type"`
		Metadata map[string]any `json:"metadata"`
		Source   string         `json:"source"`
		Outputs  []any          `json:"outputs"`
		Count    any            `json:"execution_count"`
	}
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}}
	var cs []cell
	for _, c := range cells {
		cs = append(cs, cell{CellType: "code", Metadata: map[string]any{}, Source: c, Outputs: []any{}})
	}
	nb["cells"] = cs
	data, err := json.Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}

func mkdirs(t *testing.T, mode os.FileMode, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// dirSize is the bytes of the regular files under dir (0 if absent).
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
