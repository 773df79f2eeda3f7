package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/kernel/engine/bincache"
)

// This file is the shared prebuilt library: what every cell build needs and
// no cell changes (the compiled standard library, plain and race-built, and
// the cell packages nb, cellrt and wire, as archives with export data plus
// the importcfg naming them), prepared once by `gokernel install` for every
// user of a machine. Each user's kernel compiles and links its cells against
// it directly and keeps in its own cache only what is its own.
//
// Layout, under the directory an installer passes to Prebuild:
//
//	KEY/manifest.json       what it was built with (KEY hashes the same)
//	KEY/importcfg           packagefile lines naming KEY/pkg/plain/...
//	KEY/importcfg-race      the same for -race builds, naming KEY/pkg/race/...
//	KEY/pkg/{plain,race}/IMPORTPATH.a
//
// KEY changes with the Go version, GOROOT, the cell packages this binary
// carries and the environment the archives depend on, so a kernel never
// links against archives built for another Go or another gokernel.
//
// A kernel uses a prebuilt library only when nobody but root, the kernel's
// user and the owner of the kernel binary could have written any of it, or
// any directory above it (see trustedPath): otherwise a student could make a
// classmate's kernel link their code into every cell.

// classBinDir is KEY/bin/ of a prebuilt library: binaries of the cells of
// the notebooks the installer ran (PrebuildNotebooks), for every user.
const classBinDir = "bin"

// EnvPrebuilt names the directory of a shared prebuilt library. `gokernel
// install --prefix/--sys-prefix` sets it in the kernelspec's env; Config.Prebuilt
// takes precedence.
const EnvPrebuilt = "GOKERNEL_PREBUILT"

// prebuiltPackagesStd asks Prebuild for the whole standard library.
const prebuiltPackagesStd = "std"

// PrebuildOptions says what Prebuild prepares and where.
type PrebuildOptions struct {
	Dir    string // where the prebuilt library goes (created; an older one there is replaced)
	GoBin  string // go command; default as for Config.GoBin
	Logger *slog.Logger
	// Lessons builds only the packages lessons use (and their
	// dependencies) instead of the whole standard library: a smaller,
	// faster install (tests use it); other imports then build per user.
	Lessons bool
}

// PrebuildReport says what Prebuild made.
type PrebuildReport struct {
	Dir          string // the KEY directory
	Packages     int    // archives for plain builds
	RacePackages int    // archives for -race builds (0 when the race runtime could not be built)
	Bytes        int64  // on disk
	RaceErr      error  // why the race-built library is missing, if it is
	Unchanged    bool   // the same library was there already and was kept
}

// ClassBinDir is where the binaries of the notebooks an installer runs go
// (bincache.OpenShared): kernels using this library run them in place when
// a cell's program is the same, so a class's first Run All of a lesson
// builds nothing.
func (r PrebuildReport) ClassBinDir() string { return filepath.Join(r.Dir, classBinDir) }

// prebuiltManifest is KEY/manifest.json.
type prebuiltManifest struct {
	Key          string
	Set          string // prebuiltPackagesStd or "lessons"
	GoVersion    string
	GOROOT       string
	Packages     int
	RacePackages int
	Built        time.Time
}

// prebuiltKey identifies what the archives of a prebuilt library depend on.
func prebuiltKey(tc *toolchain) string {
	h := sha256.New()
	fmt.Fprintln(h, "prebuilt v1", tc.version, tc.goroot, tc.toolDir, cellSourcesHash(), exportBuildFlags)
	for _, k := range []string{"GOFLAGS", "GOEXPERIMENT", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "GODEBUG"} {
		fmt.Fprintf(h, "%s=%s\n", k, os.Getenv(k))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Prebuild compiles the standard library (plain and race-built) and the cell
// packages into opts.Dir, readable by everyone and writable by nobody but
// the caller, for kernels started with Config.Prebuilt (or EnvPrebuilt) set
// to opts.Dir. It builds in the caller's own build cache, so a second
// Prebuild is quick. The race-built part is left out, with RaceErr saying
// why, where the race runtime cannot be built.
func Prebuild(ctx context.Context, opts PrebuildOptions) (PrebuildReport, error) {
	if opts.Dir == "" {
		return PrebuildReport{}, errors.New("prebuild: no directory")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tc, err := findToolchain(ctx, opts.GoBin)
	if err != nil {
		return PrebuildReport{}, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return PrebuildReport{}, fmt.Errorf("prebuild: %w", err)
	}
	// Paths in the importcfg are the real ones: a kernel checks every
	// directory above them, and a symlink on the way could be swapped.
	root, err := filepath.EvalSymlinks(opts.Dir)
	if err != nil {
		return PrebuildReport{}, fmt.Errorf("prebuild: %w", err)
	}
	if root, err = filepath.Abs(root); err != nil {
		return PrebuildReport{}, fmt.Errorf("prebuild: %w", err)
	}
	ws, err := openWorkspace("", tc.langVer)
	if err != nil {
		return PrebuildReport{}, err
	}
	defer ws.remove()
	b := newBuilder(tc, ws, log)

	pkgs := []string{prebuiltPackagesStd, nbImportPath, cellrtImportPath, keepImportPath}
	if opts.Lessons {
		pkgs = slices.Clone(warmPackages)
	}
	key := prebuiltKey(tc)
	final := filepath.Join(root, key)
	set := prebuiltPackagesStd
	if opts.Lessons {
		set = "lessons"
	}
	// Installed already (the same Go, gokernel and set): leave it, so that
	// running kernels linking against it keep working.
	if m, ok := completePrebuilt(root, key, set); ok {
		return PrebuildReport{Dir: final, Packages: m.Packages, RacePackages: m.RacePackages, Unchanged: true}, nil
	}
	tmp, err := os.MkdirTemp(root, key+".tmp-")
	if err != nil {
		return PrebuildReport{}, fmt.Errorf("prebuild: %w", err)
	}
	defer os.RemoveAll(tmp)
	report := PrebuildReport{Dir: final}

	start := time.Now()
	plain, err := b.listExports(ctx, false, true, pkgs)
	if err != nil {
		return report, fmt.Errorf("prebuild: %w", err)
	}
	log.Info("prebuild", "phase", "plain", "packages", len(plain), "dur", time.Since(start))
	for _, p := range []string{"runtime", "fmt", nbImportPath, cellrtImportPath} {
		if plain[p] == "" {
			return report, fmt.Errorf("prebuild: package %s did not build", p)
		}
	}
	start = time.Now()
	race, raceErr := b.listExports(ctx, true, true, append(slices.Clone(pkgs), "runtime/race"))
	if raceErr == nil && race["runtime/race"] == "" {
		raceErr = errors.New("the race runtime (runtime/race) did not build")
	}
	log.Info("prebuild", "phase", "race", "packages", len(race), "dur", time.Since(start), "err", raceErr)
	if raceErr != nil {
		race, report.RaceErr = nil, raceErr
	}

	// What is copied into tmp is moved to KEY only when complete, so a
	// kernel starting meanwhile sees the old library or the new one.
	for _, set := range []struct {
		name, cfg string
		files     map[string]string
	}{{"plain", "importcfg", plain}, {"race", "importcfg-race", race}} {
		if set.files == nil {
			continue
		}
		var cfg strings.Builder
		for _, p := range slices.Sorted(maps.Keys(set.files)) {
			rel := filepath.Join("pkg", set.name, filepath.FromSlash(p)+".a")
			n, err := copyReadOnly(set.files[p], filepath.Join(tmp, rel))
			if err != nil {
				return report, fmt.Errorf("prebuild: %w", err)
			}
			report.Bytes += n
			fmt.Fprintf(&cfg, "packagefile %s=%s\n", p, filepath.Join(final, rel))
		}
		if err := writeReadOnly(filepath.Join(tmp, set.cfg), []byte(cfg.String())); err != nil {
			return report, fmt.Errorf("prebuild: %w", err)
		}
	}
	report.Packages, report.RacePackages = len(plain), len(race)
	manifest, _ := json.MarshalIndent(prebuiltManifest{Key: key, Set: set, GoVersion: tc.version, GOROOT: tc.goroot,
		Packages: len(plain), RacePackages: len(race), Built: time.Now().UTC()}, "", " ")
	if err := writeReadOnly(filepath.Join(tmp, "manifest.json"), append(manifest, '\n')); err != nil {
		return report, fmt.Errorf("prebuild: %w", err)
	}
	if err := filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return os.Chmod(p, 0o755) // MkdirTemp made tmp 0700; the umask may have narrowed the rest
	}); err != nil {
		return report, fmt.Errorf("prebuild: %w", err)
	}
	// Replace an older library of the same key, and drop those of other
	// keys (another Go or gokernel version installed here before).
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.IsDir() && e.Name() != filepath.Base(tmp) && isPrebuiltKeyDir(e.Name()) {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				return report, fmt.Errorf("prebuild: remove the older library: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return report, fmt.Errorf("prebuild: %w", err)
	}
	return report, nil
}

// completePrebuilt reads the manifest of an installed library of key and
// set whose plain and race importcfgs are both in place.
func completePrebuilt(root, key, set string) (prebuiltManifest, bool) {
	var m prebuiltManifest
	data, err := os.ReadFile(filepath.Join(root, key, "manifest.json"))
	if err != nil || json.Unmarshal(data, &m) != nil || m.Key != key || m.Set != set || m.RacePackages == 0 {
		return m, false
	}
	for _, race := range []bool{false, true} {
		if _, err := readPrebuilt(root, key, race); err != nil {
			return m, false
		}
	}
	return m, true
}

// isPrebuiltKeyDir reports whether name is a KEY directory (or a leftover
// temporary one) that Prebuild made.
func isPrebuiltKeyDir(name string) bool {
	key, _, _ := strings.Cut(name, ".tmp-")
	if len(key) != 24 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil
}

// copyReadOnly copies src to dst (mode 0444), making dst's directories.
func copyReadOnly(src, dst string) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst, 0o444) // the umask may have narrowed it
	}
	return n, err
}

func writeReadOnly(name string, data []byte) error {
	if err := os.WriteFile(name, data, 0o444); err != nil {
		return err
	}
	return os.Chmod(name, 0o444)
}

// loadPrebuilt makes the prebuilt library's importcfg (race-built or not)
// the builder's, when there is one for this toolchain and it can be
// trusted. It reports whether it did; why not is logged (at Warn when a
// library is there but refused, so an operator sees why cells are slow).
func (b *builder) loadPrebuilt(race bool) bool {
	if b.prebuilt == "" {
		return false
	}
	files, err := readPrebuilt(b.prebuilt, prebuiltKey(b.tc), race)
	if err != nil {
		level := slog.LevelWarn
		if errors.Is(err, fs.ErrNotExist) {
			level = slog.LevelInfo
		}
		b.log.Log(context.Background(), level, "prebuilt library not used; cells build the standard library in the user's cache",
			"dir", b.prebuilt, "race", race, "err", err)
		return false
	}
	var text strings.Builder
	for _, p := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(&text, "packagefile %s=%s\n", p, files[p])
	}
	// A private copy: the builder adds lines to it when a cell imports
	// something the library lacks.
	cfgFile := b.ws.path(wsBuild, "importcfg-prebuilt")
	if race {
		cfgFile += "-race"
	}
	if err := writePrivateFile(cfgFile, []byte(text.String())); err != nil {
		b.log.Warn("prebuilt library not used", "err", err)
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfgs[race] = &importConfig{race: race, files: files, file: cfgFile}
	if !race {
		// The runtime's archive lies in KEY/pkg/plain/: KEY/bin/ holds the
		// binaries built for the class (trusted entry by entry in build).
		keyDir := filepath.Dir(filepath.Dir(filepath.Dir(files["runtime"])))
		b.class = bincache.Shared(filepath.Join(keyDir, classBinDir))
	}
	b.log.Debug("prebuilt library", "dir", b.prebuilt, "race", race, "packages", len(files))
	return true
}

// readPrebuilt reads the importcfg of the prebuilt library in dir for key,
// checking that it and every archive it names lie inside dir/key and could
// only have been written by a trusted user (trustedPath).
func readPrebuilt(dir, key string, race bool) (map[string]string, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	if real, err = filepath.Abs(real); err != nil {
		return nil, err
	}
	keyDir := filepath.Join(real, key)
	name := filepath.Join(keyDir, "importcfg")
	if race {
		name += "-race"
	}
	if _, err := os.Lstat(name); err != nil {
		return nil, fmt.Errorf("no library for this Go and gokernel here (%s): %w", key, err)
	}
	trust := newTrustChecker()
	if err := trust.check(name); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		p, f, ok := strings.Cut(strings.TrimPrefix(line, "packagefile "), "=")
		if !ok || !strings.HasPrefix(line, "packagefile ") {
			return nil, fmt.Errorf("%s: unexpected line %q", name, line)
		}
		if filepath.Clean(f) != f || !strings.HasPrefix(f, keyDir+string(filepath.Separator)) {
			return nil, fmt.Errorf("%s: %s names %s, outside %s", name, p, f, keyDir)
		}
		if err := trust.check(f); err != nil {
			return nil, err
		}
		files[p] = f
	}
	for _, p := range []string{"runtime", "fmt", nbImportPath, cellrtImportPath} {
		if files[p] == "" {
			return nil, fmt.Errorf("%s lacks %s", name, p)
		}
	}
	return files, nil
}

// trustChecker decides whether a file may be trusted to be what an
// installer put there: it, and every directory above it, must be owned by
// a trusted user (root, this user, or the owner of the kernel binary, who
// could replace the kernel itself) and be writable by nobody else. A
// world-writable directory with the sticky bit (/tmp) is allowed above a
// trusted entry: others cannot rename or remove what they do not own there.
// Symlinks are refused (the caller resolves the prefix first).
type trustChecker struct {
	uids map[uint32]bool
	dirs map[string]error // memo per directory
}

var kernelBinaryOwner = sync.OnceValue(func() int {
	exe, err := os.Executable()
	if err != nil {
		return -1
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return -1
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
})

func newTrustChecker() *trustChecker {
	uids := map[uint32]bool{0: true, uint32(os.Geteuid()): true}
	if o := kernelBinaryOwner(); o >= 0 {
		uids[uint32(o)] = true
	}
	return &trustChecker{uids: uids, dirs: map[string]error{}}
}

// check returns nil when name may be trusted, else an error saying why not.
func (t *trustChecker) check(name string) error {
	if err := t.entry(name, false); err != nil {
		return err
	}
	return t.dir(filepath.Dir(name))
}

func (t *trustChecker) dir(d string) error {
	if err, ok := t.dirs[d]; ok {
		return err
	}
	err := t.entry(d, true)
	if err == nil && d != filepath.Dir(d) {
		err = t.dir(filepath.Dir(d))
	}
	t.dirs[d] = err
	return err
}

func (t *trustChecker) entry(name string, above bool) error {
	fi, err := os.Lstat(name)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink", name)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: no owner", name)
	}
	if !t.uids[st.Uid] {
		return fmt.Errorf("%s is owned by uid %d: not root, this user or the owner of the kernel binary: %w", name, st.Uid, os.ErrPermission)
	}
	if fi.Mode().Perm()&0o022 != 0 && !(above && fi.IsDir() && fi.Mode()&fs.ModeSticky != 0) {
		return fmt.Errorf("%s is writable by other users (mode %v): %w", name, fi.Mode().Perm(), os.ErrPermission)
	}
	return nil
}
