package engine

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

func TestParseRequiresAndModuleOf(t *testing.T) {
	gomod := []byte("module gokernel.local/cell\n\ngo 1.26.0\n\nrequire github.com/gokernel/gokernel v0.0.0\n\nrequire (\n\tgolang.org/x/sync v0.25.0 // indirect\n\tgolang.org/x/text v0.15.0\n)\n\nreplace github.com/gokernel/gokernel => ./gokernel\n")
	mods := parseRequires(gomod)
	want := map[string]string{"github.com/gokernel/gokernel": "v0.0.0", "golang.org/x/sync": "v0.25.0", "golang.org/x/text": "v0.15.0"}
	if len(mods) != len(want) {
		t.Fatalf("have %v, want %v", mods, want)
	}
	for m, v := range want {
		if mods[m] != v {
			t.Errorf("%s: have %q, want %q", m, mods[m], v)
		}
	}
	for path, wantMod := range map[string]string{
		"golang.org/x/sync/errgroup": "golang.org/x/sync",
		"golang.org/x/sync":          "golang.org/x/sync",
		"golang.org/x/syncthing":     "",
		"example.com/other":          "",
	} {
		if have := moduleOf(path, mods); have != wantMod {
			t.Errorf("moduleOf(%s): have %q, want %q", path, have, wantMod)
		}
	}
}

func TestNewestCached(t *testing.T) {
	cache := t.TempDir()
	for _, d := range []string{"golang.org/x/sync@v0.9.0", "golang.org/x/sync@v0.10.0", "golang.org/x/sync@v0.11.0-pre",
		"golang.org/x/sync@v0.0.0-20260101000000-abcdefabcdef", "github.com/!azure/sdk@v1.2.0", "golang.org/x/syncx@v9.0.0"} {
		if err := os.MkdirAll(filepath.Join(cache, filepath.FromSlash(d), "errgroup"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ module, want string }{
		{"golang.org/x/sync", "v0.10.0"},
		{"github.com/Azure/sdk", "v1.2.0"},
		{"golang.org/x/nothere", ""},
	}
	for _, tt := range tests {
		t.Run(tt.module, func(t *testing.T) {
			if have := newestCached(cache, tt.module); have != tt.want {
				t.Errorf("have %q, want %q", have, tt.want)
			}
		})
	}
	if have, want := packageDir(cache, "golang.org/x/sync", "v0.10.0", "golang.org/x/sync/errgroup"), filepath.Join(cache, "golang.org/x/sync@v0.10.0/errgroup"); have != want {
		t.Errorf("packageDir: have %q, want %q", have, want)
	}
}

const errgroupCell = `import "golang.org/x/sync/errgroup"

var g errgroup.Group
for i := range 3 {
	g.Go(func() error { fmt.Println("task", i); return nil })
}
fmt.Println("wait:", g.Wait())
`

// TestModuleFetchedThroughProxy needs the Go module proxy (CI reaches it).
func TestModuleFetchedThroughProxy(t *testing.T) {
	if os.Getenv("GOPROXY") == "off" {
		t.Skip("GOPROXY=off: this test fetches a module")
	}
	e := newTestEngine(t)
	var rec recordingOutput
	start := time.Now()
	_, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: errgroupCell, Count: 1}, &rec)
	if err != nil {
		t.Fatalf("errgroup cell: %v\nstderr: %s", err, rec.text("stderr"))
	}
	t.Logf("first errgroup cell: %v", time.Since(start))
	if have := rec.text("stdout"); !strings.Contains(have, "wait: <nil>") || strings.Count(have, "task") != 3 {
		t.Errorf("stdout: have %q", have)
	}
	if have := rec.text("stderr"); !strings.Contains(have, "fetching the module of golang.org/x/sync/errgroup") {
		t.Errorf("stderr: have %q, want fetch progress", have)
	}
	gomod, _ := os.ReadFile(e.ws.path("go.mod"))
	if !strings.Contains(string(gomod), "golang.org/x/sync v") {
		t.Errorf("workspace go.mod lacks golang.org/x/sync:\n%s", gomod)
	}
	// A later cell uses the remembered import: no fetch again.
	rec = recordingOutput{}
	start = time.Now()
	_, err = e.Execute(context.Background(), interp.ExecuteRequest{Code: "var g2 errgroup.Group\ng2.Go(func() error { return nil })\nfmt.Println(g2.Wait())", Count: 2}, &rec)
	if err != nil {
		t.Fatalf("second cell: %v", err)
	}
	t.Logf("second errgroup cell: %v", time.Since(start))
	if have := rec.text("stderr"); strings.Contains(have, "fetching") {
		t.Errorf("second cell fetched again: %q", have)
	}
	// Pin a version.
	rec = recordingOutput{}
	if _, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: "%go get golang.org/x/sync@v0.24.0", Count: 3}, &rec); err != nil {
		t.Fatalf("%%go get: %v\n%s", err, rec.text("stderr"))
	}
	gomod, _ = os.ReadFile(e.ws.path("go.mod"))
	if !strings.Contains(string(gomod), "golang.org/x/sync v0.24.0") {
		t.Errorf("after %%go get @v0.24.0 go.mod says:\n%s", gomod)
	}
	// Standard-library cells keep the direct build.
	built, err := e.build.build(context.Background(), buildRequest{Source: []byte("package main\nfunc main() {}\n"), Imports: []string{"fmt"}})
	if err != nil || built.How != "direct" {
		t.Errorf("std cell: have %q, %v; want direct", built.How, err)
	}
}

// TestModuleDownloadProgress fetches errgroup into an empty module cache:
// go's "downloading" lines reach the cell while it downloads.
func TestModuleDownloadProgress(t *testing.T) {
	if os.Getenv("GOPROXY") == "off" {
		t.Skip("GOPROXY=off: this test fetches a module")
	}
	cache := t.TempDir()
	t.Setenv("GOMODCACHE", cache)
	t.Cleanup(func() {
		// The module cache is read-only: let go remove it.
		cmd := exec.Command("go", "clean", "-modcache")
		cmd.Env = append(os.Environ(), "GOMODCACHE="+cache)
		cmd.Run()
	})
	e := newTestEngine(t)
	var rec recordingOutput
	if _, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: errgroupCell, Count: 1}, &rec); err != nil {
		t.Fatalf("errgroup cell: %v\nstderr: %s", err, rec.text("stderr"))
	}
	if have := rec.text("stderr"); !strings.Contains(have, "go: downloading golang.org/x/sync") {
		t.Errorf("stderr: have %q, want go's download progress", have)
	}
	if dir := e.moduleDir(t.Context(), "golang.org/x/sync/errgroup"); !strings.HasPrefix(dir, cache) {
		t.Errorf("moduleDir: have %q, want it under %s", dir, cache)
	}
}

// TestModuleOfflineFromCache: with GOPROXY=off, a module already in the
// module cache (fetched here first, into a private cache) is used.
func TestModuleOfflineFromCache(t *testing.T) {
	if os.Getenv("GOPROXY") == "off" {
		t.Skip("GOPROXY=off: this test fills a module cache first")
	}
	cache := t.TempDir()
	t.Setenv("GOMODCACHE", cache)
	t.Cleanup(func() {
		cmd := exec.Command("go", "clean", "-modcache")
		cmd.Env = append(os.Environ(), "GOMODCACHE="+cache)
		cmd.Run()
	})
	online := newTestEngine(t)
	var rec recordingOutput
	if _, err := online.Execute(context.Background(), interp.ExecuteRequest{Code: errgroupCell, Count: 1}, &rec); err != nil {
		t.Fatalf("online: %v\n%s", err, rec.text("stderr"))
	}
	t.Setenv("GOPROXY", "off")
	offline := newTestEngine(t)
	rec = recordingOutput{}
	if _, err := offline.Execute(context.Background(), interp.ExecuteRequest{Code: errgroupCell, Count: 1}, &rec); err != nil {
		t.Fatalf("offline with the module cached: %v\n%s", err, rec.text("stderr"))
	}
	if have := rec.text("stderr"); !strings.Contains(have, "looking in the module cache") {
		t.Errorf("stderr: have %q, want the module-cache note", have)
	}
	if have := rec.text("stdout"); !strings.Contains(have, "wait: <nil>") {
		t.Errorf("stdout: have %q", have)
	}
}

func TestModuleOffline(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	e := newTestEngine(t)
	var rec recordingOutput
	code := strings.Replace(errgroupCell, "golang.org/x/sync/errgroup", "golang.org/x/exp/gokernelnothere", 1)
	code = strings.ReplaceAll(code, "errgroup.", "gokernelnothere.")
	_, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: code, Count: 1}, &rec)
	ie := cellError(t, err, "ModuleNotFound")
	if want := "could not fetch the module of golang.org/x/exp/gokernelnothere"; ie.Value != want {
		t.Errorf("have %q, want %q", ie.Value, want)
	}
	tb := strings.Join(ie.Traceback, "\n")
	for _, want := range []string{"GOPROXY=off", "%go get MODULE@VERSION", "GOFLAGS=-mod=mod"} {
		if !strings.Contains(tb, want) {
			t.Errorf("traceback lacks %q:\n%s", want, tb)
		}
	}
}

// TestModCachePerEngine: each engine asks its own go env for the module
// cache (review finding: a package-global sync.Once kept the first engine's
// answer for every later one), and an ended ctx is not remembered as an
// answer.
func TestModCachePerEngine(t *testing.T) {
	tc, err := findToolchain(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOMODCACHE", "") // go env derives it from GOPATH
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name   string
		gopath string
		ctx    context.Context
		want   string // "" for no answer
	}{
		{name: "first engine", gopath: t.TempDir(), ctx: t.Context(), want: "pkg/mod"},
		{name: "second engine, other GOPATH", gopath: t.TempDir(), ctx: t.Context(), want: "pkg/mod"},
		{name: "ended ctx: no answer", gopath: t.TempDir(), ctx: ended},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOPATH", tt.gopath)
			e := &Engine{tc: tc, log: slog.New(slog.DiscardHandler)}
			have := e.modCache(tt.ctx)
			want := ""
			if tt.want != "" {
				want = filepath.Join(tt.gopath, tt.want)
			}
			if have != want {
				t.Errorf("have %q, want %q", have, want)
			}
			if tt.want == "" { // asked again with a live ctx, it answers
				if have := e.modCache(t.Context()); have != filepath.Join(tt.gopath, "pkg", "mod") {
					t.Errorf("after an ended ctx: have %q, want %q", have, filepath.Join(tt.gopath, "pkg", "mod"))
				}
			}
		})
	}
}

// TestModuleFetchFromStalledProxy: a module proxy that accepts the request
// and never answers. The cell says it is still waiting, on which proxy, and
// how to stop it; an interrupt then ends the fetch with a clear error.
func TestModuleFetchFromStalledProxy(t *testing.T) {
	proxy := useStalledProxy(t)
	defer func(d time.Duration) { goCommandQuietNotice = d }(goCommandQuietNotice)
	goCommandQuietNotice = 300 * time.Millisecond

	e := newTestEngine(t)
	seen := make(chan struct{})
	var once sync.Once
	rec := &recordingOutput{onStream: func(_, text string) {
		if strings.Contains(text, "has said nothing") {
			once.Do(func() { close(seen) })
		}
	}}
	ctx, interrupt := context.WithCancel(context.Background())
	go func() {
		select {
		case <-seen:
		case <-time.After(time.Minute):
		}
		interrupt()
	}()
	start := time.Now()
	_, err := e.Execute(ctx, interp.ExecuteRequest{Code: errgroupCell, Count: 1}, rec)
	var ie *interp.Error
	if !errors.As(err, &ie) || ie.Name != "Interrupted" {
		t.Fatalf("have %v, want an Interrupted error\nstderr: %s", err, rec.text("stderr"))
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("the interrupt took %v to end the fetch", time.Since(start))
	}
	stderr := rec.text("stderr")
	for _, want := range []string{"go get has said nothing for 300ms", "GOPROXY=" + proxy, "interrupt the kernel to stop it"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestModuleFetchOutlivesThreadsEnding: builds ahead (runNiced) end the OS
// thread they ran on. The go command is started with Pdeathsig, which
// Linux ties to the forking thread, not the process: a fetch forked on a
// thread a build ahead later took and ended was killed ("go get: signal:
// killed", seen in JupyterLab's Run All of lesson 7). Here a fetch from a
// stalled proxy waits while many goroutines lock and end threads; it must
// still be waiting, then stop at the interrupt.
func TestModuleFetchOutlivesThreadsEnding(t *testing.T) {
	useStalledProxy(t)

	e := newTestEngine(t)
	ctx, interrupt := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.goCommand(ctx, &recordingOutput{}, nil, "get", "golang.org/x/sync/errgroup")
		done <- err
	}()
	time.Sleep(300 * time.Millisecond) // the go command is running, waiting on the proxy
	// Threads end the way runNiced ends them, while goroutines keep every
	// thread busy so that the fetch's forking thread is among them.
	for range 200 {
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			}()
		}
		wg.Wait()
	}
	select {
	case err := <-done:
		t.Fatalf("the fetch ended before the interrupt: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	interrupt()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the interrupt did not end the fetch")
	}
}

// useStalledProxy points the go command at a module proxy that accepts
// every request and never answers, with an empty module cache, for the
// rest of the test; it returns the proxy's URL.
func useStalledProxy(t *testing.T) string {
	release := make(chan struct{})
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(stalled.Close)
	t.Cleanup(func() { close(release) })
	t.Setenv("GOPROXY", stalled.URL)
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOMODCACHE", t.TempDir())
	return stalled.URL
}
