package engine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/engine/bincache"
)

// warmPackages are the packages lessons use; their export data is built and
// put in the importcfg when the engine starts, so the first cell links at once.
var warmPackages = []string{
	"fmt", "sync", "time", "os", "os/exec", "strings", "math", "sort", "sync/atomic",
	"runtime", "errors", "context", "math/rand", "bufio", "strconv",
	nbImportPath, cellrtImportPath, keepImportPath,
}

// maxCachedBinaries bounds the binary cache (≈1.5-3 MB each, on disk).
// Re-running an unchanged cell is the case it is for: a few are plenty.
const maxCachedBinaries = 16

// builder turns a program's source into a binary. The fast path runs the
// compiler and linker directly with a cached importcfg (no go command, no
// per-build dependency analysis); programs importing modules outside the
// standard library and the cell packages fall back to `go build`.
type builder struct {
	tc  *toolchain
	ws  *workspace
	log *slog.Logger
	env []string // environment of go, compile and link
	// prebuilt is the shared prebuilt library's directory, "" for none
	// (prebuilt.go).
	prebuilt string
	// disk keeps binaries between kernel runs (Config.BinaryCache); nil for
	// none.
	disk *bincache.Cache
	// class holds the binaries an installer built for every user beside the
	// prebuilt library (`gokernel install --notebooks`), run in place; nil
	// when there is no trusted prebuilt library.
	class *bincache.Cache
	// diskAdds are the copies into disk still running (Engine.Close waits).
	diskAdds sync.WaitGroup
	// spares holds a compiler started ahead of the next build
	// (sparecompile.go); nil for none (Warm, tests).
	spares *spareCompiler

	// raceStart orders the callers of startRaceWarm (held while a saved
	// race importcfg is read, milliseconds).
	raceStart sync.Mutex

	mu       sync.Mutex             // guards the fields below
	cfgs     map[bool]*importConfig // by race
	raceWarm chan struct{}          // closed when the race importcfg is warm; nil before asked
	raceErr  error                  // why warming the race std failed
	binaries map[string]string      // program hash -> binary path
	order    []string               // program hashes, oldest first
	stdDirs  map[string]bool        // memo of isStd
}

// importConfig maps import paths to export files, as the compiler and linker
// read them with -importcfg.
type importConfig struct {
	race  bool
	files map[string]string // import path -> archive with export data and code
	file  string            // where the current version is written
}

// buildRequest is one program to build.
type buildRequest struct {
	Cell    int    // execution count, for logs
	Source  []byte // the whole program (package main)
	Imports []string
	Race    bool
}

// buildResult says where the binary is and how it was made.
type buildResult struct {
	Binary string
	Cached bool   // an identical program was built before
	How    string // "direct", "go build" or "cache"
}

// BuildError is a program that does not compile or link. Diagnostics are in
// the order the compiler printed them.
type BuildError struct {
	Diagnostics []Diagnostic
	Output      string // the tool's raw output, for messages not tied to a position
}

// Diagnostic is one compiler message, at the position the //line directives
// give it (File "cell3.go", Line 5 ...) or in generated code.
type Diagnostic struct {
	File      string
	Line, Col int
	Msg       string
}

// Error is the first diagnostic at its position, or the toolchain's output
// when it gave none.
func (e *BuildError) Error() string {
	if len(e.Diagnostics) == 0 {
		return "build failed: " + strings.TrimSpace(e.Output)
	}
	d := e.Diagnostics[0]
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Msg)
}

func newBuilder(tc *toolchain, ws *workspace, log *slog.Logger) *builder {
	return &builder{
		tc:       tc,
		ws:       ws,
		log:      log,
		env:      buildEnv(os.Environ()),
		cfgs:     map[bool]*importConfig{},
		binaries: map[string]string{},
		stdDirs:  map[string]bool{},
	}
}

// buildEnv is the environment of every go, compile and link the engine runs:
// the user's (GOCACHE, GOPROXY ...) with the workspace made self-contained.
// cgo is off so that net and os/user link internally without a C toolchain.
func buildEnv(environ []string) []string {
	override := map[string]string{
		"GOWORK":      "off",
		"GOTOOLCHAIN": "local",
		"CGO_ENABLED": "0",
		"GOFLAGS":     "-mod=mod",
		"GO111MODULE": "on",
	}
	env := slices.DeleteFunc(slices.Clone(environ), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		_, ok := override[k]
		return ok
	})
	// The compiler and linker are short-lived: collecting garbage less often
	// saves ≈8% of a link (measured) for a few MB more.
	if !slices.ContainsFunc(environ, func(kv string) bool { return strings.HasPrefix(kv, "GOGC=") }) {
		override["GOGC"] = "400"
	}
	for k, v := range override {
		env = append(env, k+"="+v)
	}
	return env
}

// warm builds the export data of pkgs (for race or not) into the build cache
// and records it in the importcfg. It is what makes the first cell fast.
func (b *builder) warm(ctx context.Context, race bool, pkgs []string) error {
	if _, err := b.importConfig(ctx, race, pkgs); err != nil {
		return err
	}
	b.saveImportConfig(race)
	return nil
}

// savedConfigFile is where the importcfg of a warm-up is kept between kernel
// runs (in the user's cache directory, next to the build cache), so a new
// kernel can build its first cell without running `go list` again. The name
// hashes everything the export files depend on; the files themselves are
// content-addressed entries of the build cache, valid while they exist.
func (b *builder) savedConfigFile(race bool) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintln(h, b.tc.version, b.tc.goroot, race, strings.Join(warmPackages, " "), cellSourcesHash(), exportBuildFlags)
	for _, k := range []string{"GOCACHE", "GOFLAGS", "GOEXPERIMENT", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "GODEBUG"} {
		fmt.Fprintf(h, "%s=%s\n", k, os.Getenv(k))
	}
	return filepath.Join(dir, "gokernel", "importcfg-"+hex.EncodeToString(h.Sum(nil)[:12]))
}

// saveImportConfig keeps the current importcfg for the next kernel run.
func (b *builder) saveImportConfig(race bool) {
	name := b.savedConfigFile(race)
	b.mu.Lock()
	file := b.cfgs[race].file
	b.mu.Unlock()
	data, err := os.ReadFile(file)
	if name == "" || err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return
	}
	replaceFile(name, data)
}

// restoreImportConfig loads the importcfg a previous run saved, if every
// file it names is still in the build cache. It reports whether it did.
func (b *builder) restoreImportConfig(race bool) bool {
	name := b.savedConfigFile(race)
	if name == "" {
		return false
	}
	data, err := readPrivateFile(name)
	if err != nil {
		return false
	}
	files := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		p, f, ok := strings.Cut(strings.TrimPrefix(line, "packagefile "), "=")
		if !ok {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return false // trimmed from the cache: warm up again
		}
		files[p] = f
	}
	for _, p := range warmPackages {
		if _, ok := files[p]; !ok {
			return false
		}
	}
	cfgFile := b.ws.path(wsBuild, "importcfg-restored")
	if race {
		cfgFile += "-race"
	}
	if err := writePrivateFile(cfgFile, data); err != nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfgs[race] = &importConfig{race: race, files: files, file: cfgFile}
	return true
}

var cellSourcesOnce = sync.OnceValue(func() string {
	h := sha256.New()
	fs.WalkDir(kernel.CellSources, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := fs.ReadFile(kernel.CellSources, p)
			fmt.Fprintf(h, "%s %d\n", p, len(data))
			h.Write(data)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
})

// cellSourcesHash identifies the cell packages this binary carries.
func cellSourcesHash() string { return cellSourcesOnce() }

// importConfig returns the importcfg file for race holding at least pkgs and
// their dependencies, running `go list -export -deps` for the missing ones.
func (b *builder) importConfig(ctx context.Context, race bool, pkgs []string) (string, error) {
	b.mu.Lock()
	cfg := b.cfgs[race]
	if cfg == nil {
		cfg = &importConfig{race: race, files: map[string]string{}}
		b.cfgs[race] = cfg
	}
	var missing []string
	for _, p := range pkgs {
		if _, ok := cfg.files[p]; !ok {
			missing = append(missing, p)
		}
	}
	file := cfg.file
	b.mu.Unlock()
	if len(missing) == 0 && file != "" {
		return file, nil
	}
	files, err := b.listExports(ctx, race, false, missing)
	if err != nil {
		return "", err
	}
	return b.addToConfig(race, files)
}

// addToConfig adds export files to the importcfg for race and writes it
// anew; it returns the file's name.
func (b *builder) addToConfig(race bool, files map[string]string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cfg := b.cfgs[race]
	if cfg == nil {
		cfg = &importConfig{race: race, files: map[string]string{}}
		b.cfgs[race] = cfg
	}
	for p, f := range files {
		cfg.files[p] = f
	}
	var text strings.Builder
	for _, p := range slices.Sorted(maps.Keys(cfg.files)) {
		fmt.Fprintf(&text, "packagefile %s=%s\n", p, cfg.files[p])
	}
	sum := sha256.Sum256([]byte(text.String()))
	name := b.ws.path(wsBuild, "importcfg-"+hex.EncodeToString(sum[:8]))
	if race {
		name += "-race"
	}
	if err := writePrivateFile(name, []byte(text.String())); err != nil {
		return "", err
	}
	cfg.file = name
	return name, nil
}

// exportBuildFlags are the build flags of every package archive a cell
// links: the standard library, the cell packages, and what a kernel
// prebuilds for a class. Without DWARF: the cells' own link leaves it out
// (-w), but the linker still reads each archive's DWARF sections, a
// seventh of a hello cell's link (issue 16, "A lighter link"). Stack
// traces, panics and the race detector use the pclntab, not DWARF.
var exportBuildFlags = []string{"-gcflags=all=-dwarf=false"}

// listExports runs `go list -export -deps` in the workspace module, which
// compiles what is not in the build cache yet. Tolerant adds -e: a package
// that cannot be built here (one needing cgo without a C compiler, say) is
// left out rather than failing the whole list.
func (b *builder) listExports(ctx context.Context, race, tolerant bool, pkgs []string) (map[string]string, error) {
	args := []string{"list", "-export", "-deps", "-f", "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}"}
	args = append(args, exportBuildFlags...)
	if tolerant {
		args = append(args, "-e")
	}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "--")
	args = append(args, pkgs...)
	cmd := exec.CommandContext(ctx, b.tc.goBin, args...)
	cmd.Dir = b.ws.dir
	cmd.Env = b.env
	if race {
		cmd.Env = append(slices.Clone(b.env), "CGO_ENABLED=1")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	b.log.Debug("go list -export", "pkgs", len(pkgs), "race", race, "dur", time.Since(start))
	if err != nil {
		return nil, fmt.Errorf("go list -export %s: %w: %s", strings.Join(pkgs, " "), err, strings.TrimSpace(stderr.String()))
	}
	files := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if p, f, ok := strings.Cut(sc.Text(), "="); ok {
			files[p] = f
		}
	}
	return files, nil
}

// isStd reports whether path is a standard-library package of this toolchain.
func (b *builder) isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	if strings.Contains(first, ".") || path == "C" || path == "" {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	std, ok := b.stdDirs[path]
	if !ok {
		info, err := os.Stat(filepath.Join(b.tc.goroot, "src", filepath.FromSlash(path)))
		std = err == nil && info.IsDir()
		b.stdDirs[path] = std
	}
	return std
}

// fastPathOK reports whether imports can be built with compile + link alone.
func (b *builder) fastPathOK(imports []string) bool {
	for _, p := range imports {
		if p == nbImportPath || strings.HasPrefix(p, nbImportPath+"/") {
			continue
		}
		if !b.isStd(p) {
			return false
		}
	}
	return true
}

// build compiles and links req, or returns the binary of an identical earlier
// program. A program that does not compile returns a *BuildError.
func (b *builder) build(ctx context.Context, req buildRequest) (buildResult, error) {
	direct := b.fastPathOK(req.Imports)
	// stdOnly: the program imports nothing but the standard library and the
	// cell packages, so its binary depends on the source and on what the key
	// names below, nothing else; only such binaries outlive the kernel.
	stdOnly := direct
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00lang=%s\x00race=%v\x00direct=%v\x00cellsrc=%s\x00prebuilt=%s\x00archives=%v\x00",
		b.tc.version, b.tc.goroot, b.tc.langVer, req.Race, direct, cellSourcesHash(), b.prebuilt, exportBuildFlags)
	for _, kv := range b.env {
		if k, _, _ := strings.Cut(kv, "="); slices.Contains(codegenEnv, k) {
			fmt.Fprintf(h, "%s\x00", kv)
		}
	}
	if !direct {
		// The same source builds differently once go get changed go.mod.
		goMod, _ := os.ReadFile(b.ws.path("go.mod"))
		h.Write(goMod)
	}
	h.Write(req.Source)
	key := hex.EncodeToString(h.Sum(nil)[:16])
	b.mu.Lock()
	bin, ok := b.binaries[key]
	b.mu.Unlock()
	if ok {
		if _, err := os.Stat(bin); err == nil {
			return buildResult{Binary: bin, Cached: true, How: "cache"}, nil
		}
	}
	bin = b.ws.path(wsBin, key)
	if stdOnly && b.class != nil {
		// Checked afresh each time: the checker's memo is not shared
		// between builds that run at once.
		if p, ok := b.class.Lookup(key, newTrustChecker().check); ok {
			return buildResult{Binary: p, Cached: true, How: "class cache"}, nil
		}
	}
	if stdOnly && b.disk != nil {
		os.Remove(bin)
		if b.disk.Fetch(key, bin) {
			b.remember(key, bin)
			return buildResult{Binary: bin, Cached: true, How: "cache of earlier kernels"}, nil
		}
	}
	var err error
	how := "direct"
	if !direct {
		// Packages from modules are compiled here against the standard
		// library the kernel already has (the shared prebuilt one): `go
		// build` would compile the standard library again into the user's
		// cache. What this cannot build goes to `go build`.
		if merr := b.compileModulePackages(ctx, req.Race, req.Imports); merr == nil {
			direct, how = true, "direct with modules"
		} else {
			b.log.Debug("module packages need go build", "err", merr)
		}
	}
	if direct {
		err = b.compileAndLink(ctx, req, bin)
	} else {
		how = "go build"
		err = b.goBuild(ctx, req, bin)
	}
	if err != nil {
		return buildResult{}, err
	}
	b.remember(key, bin)
	if stdOnly && b.disk != nil {
		// In the background: a hard link costs microseconds, but where the
		// workspace (often a tmpfs /tmp) and the cache are on different file
		// systems it is a copy of a few MB, which the cell need not wait
		// for. A copy cut short (the workspace removed, the kernel gone)
		// only loses the entry.
		b.diskAdds.Add(1)
		go func() {
			defer b.diskAdds.Done()
			if err := b.disk.Add(key, bin); err != nil {
				b.log.Debug("binary cache", "err", err)
			}
		}()
	}
	return buildResult{Binary: bin, How: how}, nil
}

// codegenEnv are the variables of the tools' environment that change the
// code they generate; they are part of a binary's cache key.
var codegenEnv = []string{"GOOS", "GOARCH", "GOAMD64", "GOARM64", "GOARM", "GO386", "GOEXPERIMENT"}

// remember adds a binary to the cache, deleting the oldest beyond the bound.
func (b *builder) remember(key, bin string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.binaries[key]; !ok {
		b.order = append(b.order, key)
	}
	b.binaries[key] = bin
	for len(b.order) > maxCachedBinaries {
		old := b.order[0]
		b.order = b.order[1:]
		os.Remove(b.binaries[old])
		delete(b.binaries, old)
	}
}

// compileAndLink is the fast path: compile + link from $GOROOT/pkg/tool with
// no DWARF and no symbol table (see notes/build-floor.md: ≈70 ms vs ≈150 ms).
func (b *builder) compileAndLink(ctx context.Context, req buildRequest, bin string) error {
	imports := req.Imports
	if req.Race {
		// The go command adds runtime/race to every -race build; so do we.
		imports = append(slices.Clone(imports), "runtime/race")
	}
	cfg, err := b.importConfig(ctx, req.Race, imports)
	if err != nil {
		return err
	}
	// Each build has its own scratch directory: a cell built ahead of its
	// turn (lookahead.go) may compile while the current one does. The file
	// is still main.go, the name the compiler's messages carry. A spare
	// compiler comes with its own, where it reads the source from a FIFO.
	var spare *spareCompile
	if !req.Race && !isBackground(ctx) {
		spare = b.spares.take(b.compileSpec(cfg))
	}
	var scratch string
	if spare != nil {
		scratch = spare.scratch
	} else if scratch, err = os.MkdirTemp(b.ws.path(wsBuild), "prog-"); err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	src := filepath.Join(scratch, "main.go")
	obj := filepath.Join(scratch, "main.a")
	tmpBin := filepath.Join(scratch, "bin")
	linkArgs := []string{"-o", tmpBin, "-importcfg", cfg, "-buildmode=exe", "-s", "-w"}
	if req.Race {
		linkArgs = append(linkArgs, "-race")
	}
	linkArgs = append(linkArgs, obj)
	start := time.Now()
	var out []byte
	if spare != nil {
		out, err = spare.compile(ctx, req.Source)
		if err != nil && ctx.Err() == nil && killedBeforeUse(err) {
			b.log.Debug("spare compiler killed; exec'ing one", "cell", req.Cell, "err", err)
			spare = nil
		}
	}
	if spare == nil {
		os.Remove(src) // a spare's FIFO
		if err := writePrivateFile(src, req.Source); err != nil {
			return err
		}
		out, err = b.tool(ctx, "compile", compileArgs(b.tc.langVer, obj, cfg, src, req.Race)...)
	}
	if err != nil {
		return compileFailure(err, out)
	}
	compiled := time.Now()
	if out, err := b.tool(ctx, "link", linkArgs...); err != nil {
		return compileFailure(err, out)
	}
	b.log.Debug("compile+link", "cell", req.Cell, "compile", compiled.Sub(start), "link", time.Since(compiled), "spare", spare != nil)
	// The tools create files with the umask's modes (0644/0755); a
	// workspace on a shared machine is private to its user.
	if err := privateModes(obj, tmpBin); err != nil {
		return err
	}
	return os.Rename(tmpBin, bin)
}

// compileSpec is what the compiler of a non-race build with importcfg cfg
// depends on besides its program (a spare must match it).
func (b *builder) compileSpec(cfg string) compileSpec {
	return compileSpec{tool: filepath.Join(b.tc.toolDir, "compile"), dir: b.ws.path(wsBuild),
		parent: b.ws.path(wsBuild), env: b.env, lang: b.tc.langVer, cfg: cfg}
}

// spareSpec is the compileSpec of the next build as far as known now: with
// the current importcfg.
func (b *builder) spareSpec() compileSpec {
	b.mu.Lock()
	defer b.mu.Unlock()
	var cfg string
	if c := b.cfgs[false]; c != nil {
		cfg = c.file
	}
	return b.compileSpec(cfg)
}

// tool runs one tool of the toolchain (compile, link) and returns its output.
func (b *builder) tool(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(b.tc.toolDir, name), args...)
	cmd.Dir = b.ws.path(wsBuild)
	cmd.Env = b.env
	out, err := runTool(ctx, cmd)
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, err
}

// goBuild is the fallback for programs that import modules outside the
// standard library: `go build` in the workspace module resolves them.
func (b *builder) goBuild(ctx context.Context, req buildRequest, bin string) error {
	if err := writePrivateFile(b.ws.path(wsProg, "main.go"), req.Source); err != nil {
		return err
	}
	args := []string{"build", "-o", bin, "-ldflags=-s -w"}
	if req.Race {
		args = append(args, "-race")
	}
	args = append(args, "./"+wsProg)
	cmd := exec.CommandContext(ctx, b.tc.goBin, args...)
	cmd.Dir = b.ws.dir
	cmd.Env = b.env
	if req.Race {
		cmd.Env = append(slices.Clone(b.env), "CGO_ENABLED=1")
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return compileFailure(err, out)
	}
	return privateModes(bin)
}

// privateModes takes the group and other bits off files the toolchain
// wrote: object files become 0600, binaries 0700.
func privateModes(paths ...string) error {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
			return err
		}
	}
	return nil
}

// compileFailure turns a failed tool run into a *BuildError; a tool that
// could not start is returned as it is.
func compileFailure(err error, out []byte) error {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return fmt.Errorf("run the go toolchain: %w", err)
	}
	return &BuildError{Diagnostics: parseDiagnostics(string(out)), Output: string(out)}
}

// diagnosticLine matches "file.go:12:5: message" (column optional).
var diagnosticLine = regexp.MustCompile(`^(\S+?\.go):(\d+)(?::(\d+))?: (.*)$`)

// parseDiagnostics reads compiler output. Lines starting with a tab continue
// the message before them; "# package" headers and "too many errors" go.
func parseDiagnostics(out string) []Diagnostic {
	var diags []Diagnostic
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "# ") || strings.HasSuffix(line, "too many errors"):
		case strings.HasPrefix(line, "\t") && len(diags) > 0:
			diags[len(diags)-1].Msg += "\n" + strings.TrimPrefix(line, "\t")
		default:
			m := diagnosticLine.FindStringSubmatch(line)
			if m == nil {
				diags = append(diags, Diagnostic{Msg: line})
				continue
			}
			ln, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			diags = append(diags, Diagnostic{File: filepath.Base(m[1]), Line: ln, Col: col, Msg: m[4]})
		}
	}
	return diags
}

// missingExports lists the paths the importcfg for race lacks.
func (b *builder) missingExports(race bool, paths []string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	cfg := b.cfgs[race]
	var missing []string
	for _, p := range paths {
		if cfg == nil || cfg.files[p] == "" {
			missing = append(missing, p)
		}
	}
	return missing
}

// exportFile returns the export data file of path from the non-race
// importcfg (for the type checker).
func (b *builder) exportFile(path string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cfg := b.cfgs[false]
	if cfg == nil {
		return "", false
	}
	f, ok := cfg.files[path]
	return f, ok
}

// startRaceWarm starts building the race-enabled standard library in the
// background the first time it is asked for (≈7 s cold), and returns a
// channel closed when it is done.
func (b *builder) startRaceWarm(ctx context.Context) <-chan struct{} {
	// A second caller (a %race cell's Execute while the lookahead plans
	// the same cell) waits here while the first reads a saved importcfg:
	// given the channel before the importcfg was read, it would find the
	// race export data missing and run its own `go list -export -race`
	// (≈0.1 s, which the cell then waited for).
	b.raceStart.Lock()
	defer b.raceStart.Unlock()
	b.mu.Lock()
	if b.raceWarm != nil {
		b.mu.Unlock()
		return b.raceWarm
	}
	b.mu.Unlock()
	done := make(chan struct{})
	// A prebuilt or saved importcfg is read at once (milliseconds), before
	// the cell asks for the export data it needs: otherwise that cell
	// would compile them into the user's cache meanwhile.
	if b.loadPrebuilt(true) || b.restoreImportConfig(true) {
		close(done)
		b.mu.Lock()
		b.raceWarm = done
		b.mu.Unlock()
		return done
	}
	b.mu.Lock()
	b.raceWarm = done
	b.mu.Unlock()
	go func() {
		defer close(done)
		start := time.Now()
		err := b.warm(ctx, true, append(slices.Clone(warmPackages), "runtime/race"))
		b.mu.Lock()
		b.raceErr = err
		b.mu.Unlock()
		b.log.Debug("warm", "phase", "race warm", "dur", time.Since(start), "err", err)
	}()
	return done
}

// raceWarmErr says why warming the race-enabled library failed, if it did.
// raceWarmDone reports whether the race-enabled standard library is ready
// (warmed without error), without starting or waiting for it.
func (b *builder) raceWarmDone() bool {
	b.mu.Lock()
	done := b.raceWarm
	b.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return b.raceWarmErr() == nil
	default:
		return false
	}
}

func (b *builder) raceWarmErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.raceErr
}
