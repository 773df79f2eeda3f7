package clienttest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSmarts drives gokernel's language smarts and notebook conventions (issue 6) through
// jupyter_client: exact completion, inspect and pager replies, completion while a cell
// sleeps, the magics and shell lines, %%bash interrupted, %%python3 running the article's
// threading example with its output streamed, and history read back after a restart.
// errgroup fetched through the Go module proxy (then reused, completed, pinned with
// %go get) and the ModuleNotFound error with GOPROXY=off and an empty module cache.
// testdata/smarts/test_smarts.py holds the Python side; each of its tests is a subtest.
func TestSmarts(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real Jupyter client for a minute; skipped with -short")
	}
	if os.Getenv(referenceKernelEnv) == "python3" {
		t.Skip("Go-only samples: nothing to check against ipykernel")
	}
	env := newJupyterEnv(t)
	requirePython(t, "jupyter_client", "jupyter_kernel_test", "pytest")
	name := installKernelspec(t, env, buildGokernel(t, env))
	t.Cleanup(func() { env.sweepLeftovers(t) })

	work := filepath.Join(env.dir, "pytest-smarts")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(work, "junit.xml")
	e2 := *env
	e2.environ = append(append([]string(nil), env.environ...), "KERNEL_NAME="+name)
	out, runErr := e2.runClient(t, 5*time.Minute, work, jupyterPython, "-m", "pytest", "-p", "no:cacheprovider",
		"-v", "--junitxml="+junit, "-o", "junit_family=xunit1", testdata(t, "smarts", "test_smarts.py"))
	cases, err := readJUnit(junit)
	if err != nil || len(cases) == 0 {
		t.Fatalf("pytest produced no test report (%v; pytest: %v):\n%s", err, runErr, out)
	}
	reportJUnit(t, cases, runErr, false)
}
