package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// newTestWorkspace finds the toolchain and opens a fresh workspace, removed
// when the test ends.
func newTestWorkspace(t testing.TB) (*toolchain, *workspace) {
	t.Helper()
	tc, err := findToolchain(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := openWorkspace("", tc.langVer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.remove() })
	return tc, ws
}

// newTestBuilder returns a warm builder in a fresh workspace.
func newTestBuilder(t testing.TB) *builder {
	t.Helper()
	tc, ws := newTestWorkspace(t)
	b := newBuilder(tc, ws, slog.New(slog.DiscardHandler))
	if err := b.warm(t.Context(), false, warmPackages); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseDiagnostics(t *testing.T) {
	out := "# gokernel.local/cell/prog\n" +
		"cell3.go:5:2: undefined: x\n" +
		"cell1.go:7: missing return\n" +
		"gokernel.go:2:3: too many arguments in call\n\thave (int)\n\twant ()\n" +
		"cell3.go:9:1: too many errors\n" +
		"link: some linker trouble\n"
	want := []Diagnostic{
		{File: "cell3.go", Line: 5, Col: 2, Msg: "undefined: x"},
		{File: "cell1.go", Line: 7, Msg: "missing return"},
		{File: "gokernel.go", Line: 2, Col: 3, Msg: "too many arguments in call\nhave (int)\nwant ()"},
		{Msg: "link: some linker trouble"},
	}
	if have := parseDiagnostics(out); !slices.Equal(have, want) {
		t.Errorf("have %+v\nwant %+v", have, want)
	}
}

func TestBuild(t *testing.T) {
	b := newTestBuilder(t)
	hello := "package main\n\nimport (\n\t\"fmt\"\n\t\"encoding/json\"\n)\n\nfunc main() { v, _ := json.Marshal(1); fmt.Println(\"hello\", string(v)) }\n"
	tests := []struct {
		name    string
		src     string
		imports []string
		race    bool
		how     string // "direct", "cache", "go build"
		output  string // what the binary prints
		err     string // substring of the build error
	}{
		{name: "lazily extended importcfg", src: hello, imports: []string{"fmt", "encoding/json"}, how: "direct", output: "hello 1\n"},
		{name: "unchanged program is not rebuilt", src: hello, imports: []string{"fmt", "encoding/json"}, how: "cache", output: "hello 1\n"},
		{name: "compile error", src: "package main\n//line cell2.go:4:1\nfunc main() { undefinedName() }\n", err: "cell2.go:4:15: undefined: undefinedName"},
		{name: "module outside std falls back to go build",
			src:     "package main\n\nimport \"example.invalid/nothing\"\n\nfunc main() { nothing.X() }\n",
			imports: []string{"example.invalid/nothing"}, err: "example.invalid/nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := b.build(t.Context(), buildRequest{Source: []byte(tt.src), Imports: tt.imports, Race: tt.race})
			if tt.err != "" {
				var be *BuildError
				if !errors.As(err, &be) || !strings.Contains(be.Error()+be.Output, tt.err) {
					t.Fatalf("have %v, want a *BuildError containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.How != tt.how {
				t.Errorf("how: have %q, want %q", res.How, tt.how)
			}
			out, err := exec.Command(res.Binary).CombinedOutput()
			if err != nil || string(out) != tt.output {
				t.Errorf("binary: have %q (%v), want %q", out, err, tt.output)
			}
		})
	}
}

func TestWorkspace(t *testing.T) {
	ws, err := openWorkspace("", "1.26")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.remove()
	info, err := os.Stat(ws.dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("workspace mode: have %v (%v), want 0700", info.Mode().Perm(), err)
	}
	goMod, err := os.ReadFile(ws.path("go.mod"))
	if err != nil || !strings.Contains(string(goMod), "replace github.com/gokernel/gokernel => ./gokernel") {
		t.Errorf("go.mod: have %q (%v), want a replace of the cell module", goMod, err)
	}
	var files []string
	filepath.WalkDir(ws.path(wsCellSources), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(ws.dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if !slices.Contains(files, filepath.Join("gokernel", "kernel", "nb", "cellrt", "cellrt.go")) {
		t.Errorf("cell sources lack cellrt.go: %q", files)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.Contains(f, "testdata") {
			t.Errorf("cell sources include %s", f)
		}
	}
	if err := ws.remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ws.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("workspace still there after remove: %v", err)
	}
}

func TestWorkspaceRefusesUnsafeDirs(t *testing.T) {
	base := t.TempDir()
	target := filepath.Join(base, "target")
	os.Mkdir(target, 0o700)
	link := filepath.Join(base, "link")
	os.Symlink(target, link)
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o755)
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	tests := []struct{ name, dir, err string }{
		{"symlink", link, "not a directory"},
		{"open to others", open, "open to other users"},
		{"file", file, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := openWorkspace(tt.dir, "1.26")
			if err == nil {
				ws.remove()
				t.Fatalf("have no error, want %q", tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Errorf("have %v, want %q", err, tt.err)
			}
		})
	}
	entries, _ := os.ReadDir(target)
	if len(entries) != 0 {
		t.Errorf("the symlink's target was written to: %v", entries)
	}
}

func TestWorkspaceKeepsCallersOtherFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	os.Mkdir(dir, 0o700)
	mine := filepath.Join(dir, "notes.txt")
	os.WriteFile(mine, []byte("keep"), 0o600)
	ws, err := openWorkspace(dir, "1.26")
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("caller's file removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("go.mod left behind: %v", err)
	}
}

func TestFindToolchainWithoutGoOnPath(t *testing.T) {
	want, err := findToolchain(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir()) // no go here
	t.Setenv("GOROOT", want.goroot)
	have, err := findToolchain(t.Context(), "")
	if err != nil {
		t.Fatalf("with GOROOT set and go not on PATH: %v", err)
	}
	if have.version != want.version || have.toolDir != want.toolDir {
		t.Errorf("have %+v, want %+v", have, want)
	}
}

// A %race cell's Execute and the lookahead planning the same cell call
// startRaceWarm at once. Whichever comes second must not return before the
// first has read the saved race importcfg: it would find the race export
// data missing and compile it itself (`go list -export -race`, ≈0.1 s the
// cell waited for, in a kernel that had nothing to build).
func TestStartRaceWarmCallersAtOnceFindTheSavedImportcfg(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	tc, ws := newTestWorkspace(t)
	discard := slog.New(slog.DiscardHandler)
	// A saved race importcfg naming an export file for every package of
	// the warm-up: what an earlier kernel's warm-up leaves.
	saved := newBuilder(tc, ws, discard).savedConfigFile(true)
	if err := os.MkdirAll(filepath.Dir(saved), 0o700); err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	for i, p := range append(slices.Clone(warmPackages), "runtime/race") {
		export := filepath.Join(t.TempDir(), fmt.Sprintf("export-%d.a", i))
		if err := os.WriteFile(export, []byte("!<arch>\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&cfg, "packagefile %s=%s\n", p, export)
	}
	if err := os.WriteFile(saved, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for round := range 40 {
		b := newBuilder(tc, ws, discard)
		ctx, cancel := context.WithCancel(t.Context())
		start := make(chan struct{})
		var wg sync.WaitGroup
		for caller := range 2 {
			wg.Go(func() {
				<-start
				done := b.startRaceWarm(ctx)
				if missing := b.missingExports(true, warmPackages); len(missing) > 0 {
					t.Errorf("round %d, caller %d: startRaceWarm returned with %d packages missing from the race importcfg (%s ...)",
						round, caller, len(missing), missing[0])
				}
				select {
				case <-done:
				default:
					t.Errorf("round %d, caller %d: the saved importcfg was read, yet the warm-up is not done", round, caller)
				}
			})
		}
		close(start)
		wg.Wait()
		cancel() // had the restore failed, the warm-up it started ends
		if t.Failed() {
			return
		}
	}
}

// TestArchivesWithoutDWARF: the archives a cell links are built with
// exportBuildFlags (no DWARF, which the linker would read and throw away),
// so they are other build-cache entries than a plain `go list -export`
// gives, and a program linked with them still runs and panics with its
// stack (which needs no DWARF).
func TestArchivesWithoutDWARF(t *testing.T) {
	b := newTestBuilder(t)
	ours, err := b.listExports(t.Context(), false, false, []string{"fmt"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(b.tc.goBin, "list", "-export", "-f", "{{.Export}}", "fmt")
	cmd.Dir, cmd.Env = b.ws.dir, b.env
	plain, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if ours["fmt"] == "" || ours["fmt"] == strings.TrimSpace(string(plain)) {
		t.Errorf("fmt's archive %q is the default build's %q: exportBuildFlags not applied", ours["fmt"], strings.TrimSpace(string(plain)))
	}
	src := []byte("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n\tpanic(\"boom\")\n}\n")
	built, err := b.build(t.Context(), buildRequest{Cell: 1, Source: src, Imports: []string{"fmt"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(built.Binary).CombinedOutput()
	if !strings.Contains(string(out), "hi\npanic: boom") || !strings.Contains(string(out), "main.main()") {
		t.Errorf("program output %q (err %v): want its line, the panic and main.main in the stack", out, err)
	}
}
