package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/gokernel/gokernel/kernel/interp"
)

// This file brings in modules beyond the standard library. A cell that
// imports a package no required module provides (import
// "golang.org/x/sync/errgroup") has its module fetched with `go get`
// through the configured Go module proxy before the build, with go's
// progress lines streamed to the cell; the requirement lands in the
// workspace go.mod, so later cells build at once (on the `go build` path;
// standard-library cells keep the direct compile + link path). %go get
// MODULE@VERSION pins a version. With GOPROXY=off a version already in the
// module cache is used; failing that, the cell ends with a ModuleNotFound
// error that says how to make the module available.

// requiredModules reads the module paths and versions the workspace go.mod
// requires (the replaced gokernel module included). Only Execute (one cell
// at a time) runs go commands that change go.mod; completion reads it
// without waiting for them, and at worst misses a module while go get
// rewrites the file.
func (e *Engine) requiredModules() map[string]string {
	data, err := os.ReadFile(e.ws.path("go.mod"))
	if err != nil {
		return nil
	}
	return parseRequires(data)
}

// parseRequires reads the require directives of a go.mod as go writes it.
func parseRequires(data []byte) map[string]string {
	mods := map[string]string{}
	inBlock := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		if f := strings.Fields(line); len(f) == 2 {
			mods[strings.Trim(f[0], `"`)] = strings.Trim(f[1], `"`)
		}
	}
	return mods
}

// moduleOf returns the required module that provides package path (the
// longest module path that is a prefix of it), or "".
func moduleOf(path string, mods map[string]string) string {
	best := ""
	for m := range mods {
		if (path == m || strings.HasPrefix(path, m+"/")) && len(m) > len(best) {
			best = m
		}
	}
	return best
}

// externalImports are the paths of imports that are neither standard nor
// the cell packages.
func (e *Engine) externalImports(paths []string) []string {
	var out []string
	for _, p := range paths {
		if !e.build.fastPathOK([]string{p}) {
			out = append(out, p)
		}
	}
	return out
}

// ensureModules fetches the modules of the cell's imports that no required
// module provides. It does nothing (and reads nothing) for a cell that
// imports only standard packages.
func (e *Engine) ensureModules(ctx context.Context, paths []string, out interp.Output) error {
	external := e.externalImports(paths)
	if len(external) == 0 {
		return nil
	}
	mods := e.requiredModules()
	var missing []string
	for _, p := range external {
		if moduleOf(p, mods) == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	out.Stream("stderr", fmt.Sprintf("gokernel: fetching the module of %s ...\n", strings.Join(missing, ", ")))
	start := time.Now()
	log, err := e.goCommand(ctx, out, nil, append([]string{"get"}, missing...)...)
	if err != nil && ctx.Err() == nil && os.Getenv("GOPROXY") == "off" {
		// Downloads are off: a version already in the module cache will do
		// (the cache's download directory is a module proxy of its own).
		out.Stream("stderr", "gokernel: module downloads are off (GOPROXY=off); looking in the module cache ...\n")
		local := []string{"GOPROXY=file://" + filepath.ToSlash(filepath.Join(e.modCache(ctx), "cache", "download")), "GOSUMDB=off"}
		var more string
		more, err = e.goCommand(ctx, out, local, append([]string{"get"}, missing...)...)
		log += more
	}
	if err != nil {
		if ctx.Err() != nil {
			return &interp.Error{Name: "Interrupted", Value: "interrupted while fetching modules"}
		}
		return moduleNotFound(missing, log, err)
	}
	out.Stream("stderr", fmt.Sprintf("gokernel: module ready in %.1f s (recorded in the kernel's go.mod; later cells reuse it)\n", time.Since(start).Seconds()))
	return nil
}

// moduleNotFound explains a failed fetch and how to make the module available.
func moduleNotFound(paths []string, log string, err error) *interp.Error {
	msg := fmt.Sprintf("could not fetch the module of %s", strings.Join(paths, ", "))
	tb := []string{"ModuleNotFound: " + msg}
	if s := strings.TrimSpace(log); s != "" {
		tb = append(tb, "go get said:")
		for _, l := range strings.Split(s, "\n") {
			tb = append(tb, "    "+l)
		}
	} else {
		tb = append(tb, "go get: "+err.Error())
	}
	tb = append(tb, "To make it available:")
	proxy := os.Getenv("GOPROXY")
	if proxy == "off" || strings.Contains(log, "GOPROXY=off") {
		tb = append(tb, "  - module downloads are off (GOPROXY=off): go online and set GOPROXY to a module proxy (or \"direct\"),",
			"    e.g. %env GOPROXY= (empty: go's default proxy), then run the cell again;")
	} else {
		tb = append(tb, "  - check the network and GOPROXY (now "+goproxyOrDefault(proxy)+"), GOPRIVATE and GONOSUMDB for private modules;")
	}
	tb = append(tb,
		"  - when online, pin it once with %go get MODULE@VERSION (e.g. %go get golang.org/x/sync@latest);",
		"  - offline, a version already in the module cache (go env GOMODCACHE) can be pinned with",
		"    %go get MODULE@VERSION even with GOPROXY=off (the kernel builds with GOFLAGS=-mod=mod).")
	return &interp.Error{Name: "ModuleNotFound", Value: msg, Traceback: tb}
}

func goproxyOrDefault(p string) string {
	if p == "" {
		return "go's default"
	}
	return p
}

// goMagic is %go SUBCOMMAND ARGS: the go command in the kernel's workspace
// module, e.g. %go get golang.org/x/sync@v0.10.0 to pin a version, or
// %go list -m all to see what is required. Its output streams to the cell.
func goMagic(c *magicCall) error {
	args := strings.Fields(c.Args)
	if len(args) == 0 {
		return errors.New("missing go subcommand")
	}
	switch args[0] {
	case "get", "list", "version", "env", "doc", "mod":
	default:
		return fmt.Errorf("%q is not available here (get, list, version, env, doc and mod are)", args[0])
	}
	if args[0] == "get" {
		for _, a := range args[1:] {
			if p, _, _ := strings.Cut(a, "@"); !strings.HasPrefix(a, "-") {
				if err := module.CheckImportPath(p); err != nil {
					return fmt.Errorf("bad module path: %w", err)
				}
			}
		}
	}
	c.Out.Effects = append(c.Out.Effects, func(ctx context.Context, e *Engine, out interp.Output) error {
		log, err := e.goCommand(ctx, out, nil, args...)
		if err != nil {
			if ctx.Err() != nil {
				return &interp.Error{Name: "Interrupted", Value: "interrupted: go " + args[0]}
			}
			if args[0] == "get" {
				return moduleNotFound(args[1:], log, err)
			}
			msg := fmt.Sprintf("go %s: %v", strings.Join(args, " "), err)
			return &interp.Error{Name: "GoCommandError", Value: msg, Traceback: []string{"GoCommandError: " + msg}}
		}
		return nil
	})
	return nil
}

// goCommand runs the go command in the workspace module with the build's
// environment (plus env), streaming its output (go get prints its progress
// on stderr) line by line and returning it. An interrupt kills its process
// group.
func (e *Engine) goCommand(ctx context.Context, out interp.Output, env []string, args ...string) (string, error) {
	cmd := exec.Command(e.tc.goBin, args...)
	cmd.Dir = e.ws.dir
	// The kernel's environment now, not the builder's from its start: %env
	// GOPROXY=... takes effect for the next fetch.
	cmd.Env = append(buildEnv(os.Environ()), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	waited, err := startOnHeldThread(cmd)
	if err != nil {
		pw.Close()
		return "", fmt.Errorf("start go %s: %w", args[0], err)
	}
	var log strings.Builder
	read := make(chan struct{})
	lines := make(chan struct{}, 1)
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text() + "\n"
			log.WriteString(line)
			out.Stream("stderr", line)
			select {
			case lines <- struct{}{}:
			default:
			}
		}
		io.Copy(io.Discard, pr)
	}()
	waitErr := make(chan error, 1)
	go func() { waitErr <- <-waited; pw.Close() }()
	// The go command has no deadline of its own for a module proxy that
	// accepts a connection and then says nothing: tell the user it is
	// still waiting, on what, and how to stop it, rather than a cell that
	// seems to hang.
	start := time.Now()
	quiet := time.NewTicker(goCommandQuietNotice)
	defer quiet.Stop()
wait:
	for {
		select {
		case err = <-waitErr:
			break wait
		case <-ctx.Done():
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			err = <-waitErr
			break wait
		case <-lines:
			quiet.Reset(goCommandQuietNotice)
		case <-quiet.C:
			out.Stream("stderr", fmt.Sprintf("gokernel: go %s has said nothing for %s (%.0f s in all; GOPROXY=%s); interrupt the kernel to stop it\n",
				args[0], goCommandQuietNotice, time.Since(start).Seconds(), goproxyOrDefault(os.Getenv("GOPROXY"))))
		}
	}
	<-read
	return log.String(), err
}

// startOnHeldThread starts cmd from a goroutine locked to its OS thread
// and keeps it there until cmd has been waited for; the channel gets Wait's
// result. Linux sends Pdeathsig when the thread that forked the child ends,
// not the process, and builds ahead end the threads they ran on (runNiced):
// forked from an ordinary goroutine, the go command was killed whenever
// its thread happened to be the next one a build ahead took.
func startOnHeldThread(cmd *exec.Cmd) (<-chan error, error) {
	started, waited := make(chan error, 1), make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		waited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return waited, nil
}

// goCommandQuietNotice is how long the go command may say nothing before
// the cell says it is still waiting (a module download of a few MB takes
// seconds; a stalled proxy, forever).
var goCommandQuietNotice = 15 * time.Second

// moduleDir returns the directory of non-standard package path in the
// module cache: in the version the workspace requires, or, for a module not
// required yet (an import typed but not run), in the highest version the
// cache holds, so completion works before the first fetch.
func (e *Engine) moduleDir(ctx context.Context, path string) string {
	if e.build.isStd(path) {
		return ""
	}
	mods := e.requiredModules()
	if m := moduleOf(path, mods); m != "" {
		return packageDir(e.modCache(ctx), m, mods[m], path)
	}
	cache := e.modCache(ctx)
	for m := path; strings.Contains(m, "/"); m = m[:strings.LastIndexByte(m, '/')] {
		if v := newestCached(cache, m); v != "" {
			if dir := packageDir(cache, m, v, path); dir != "" {
				return dir
			}
		}
	}
	return ""
}

// packageDir is the directory of package path of module m at version v in
// the module cache, "" if it is not there.
func packageDir(cache, m, v, path string) string {
	escaped, err := module.EscapePath(m)
	if err != nil {
		return ""
	}
	ver, err := module.EscapeVersion(v)
	if err != nil {
		return ""
	}
	dir := filepath.Join(cache, filepath.FromSlash(escaped)+"@"+ver, filepath.FromSlash(strings.TrimPrefix(path[len(m):], "/")))
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return ""
	}
	return dir
}

// newestCached is the highest release (else any) version of module m that
// the module cache holds extracted, or "".
func newestCached(cache, m string) string {
	escaped, err := module.EscapePath(m)
	if err != nil || cache == "" {
		return ""
	}
	matches, _ := filepath.Glob(filepath.Join(cache, filepath.FromSlash(escaped)+"@v*"))
	best := ""
	for _, dir := range matches {
		_, v, _ := strings.Cut(filepath.Base(dir), "@")
		if v, err := module.UnescapeVersion(v); err == nil && semver.IsValid(v) {
			if preferVersion(v, best) {
				best = v
			}
		}
	}
	return best
}

// moduleCache remembers an engine's module cache directory, as its go
// command reports it (engines with different toolchains or environments
// may disagree, so it is per Engine).
type moduleCache struct {
	mu  sync.Mutex // held while go env runs, so it runs once
	dir string     // "" until known
}

// modCache is the module cache directory: $GOMODCACHE, else what the
// engine's go env says (asked once per engine; asked again if ctx ended or
// go failed before it answered). "" when it cannot be told.
func (e *Engine) modCache(ctx context.Context) string {
	if dir := os.Getenv("GOMODCACHE"); dir != "" {
		return dir
	}
	e.modCacheDir.mu.Lock()
	defer e.modCacheDir.mu.Unlock()
	if e.modCacheDir.dir == "" {
		out, err := exec.CommandContext(ctx, e.tc.goBin, "env", "GOMODCACHE").Output()
		if err != nil {
			e.log.Debug("go env GOMODCACHE", "err", err)
			return ""
		}
		e.modCacheDir.dir = strings.TrimSpace(string(out))
	}
	return e.modCacheDir.dir
}

// preferVersion reports whether v beats best: a release beats a pre-release
// or pseudo-version, then the higher one wins.
func preferVersion(v, best string) bool {
	if best == "" {
		return true
	}
	vRelease, bestRelease := semver.Prerelease(v) == "", semver.Prerelease(best) == ""
	if vRelease != bestRelease {
		return vRelease
	}
	return semver.Compare(v, best) > 0
}
