package clienttest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestValues drives values carried over between cells (issue 12) through real clients:
// testdata/values/test_values.py with jupyter_client (each rule of the issue a subtest,
// interrupts sent with the kernelspec's interrupt_mode), then testdata/notebooks/values.json
// executed by nbclient, whose failing cell is tagged raises-exception.
func TestValues(t *testing.T) {
	if testing.Short() {
		t.Skip("drives real Jupyter clients for a minute; skipped with -short")
	}
	if os.Getenv(referenceKernelEnv) == "python3" {
		t.Skip("Go-only samples: nothing to check against ipykernel")
	}
	env := newJupyterEnv(t)
	requirePython(t, "jupyter_client", "jupyter_kernel_test", "pytest", "nbclient", "nbformat")
	k := goSamples
	k.Binary = buildGokernel(t, env)
	k.Name = installKernelspec(t, env, k.Binary)
	t.Cleanup(func() { env.sweepLeftovers(t) })

	t.Run("jupyter_client", func(t *testing.T) {
		work := filepath.Join(env.dir, "pytest-values")
		if err := os.MkdirAll(work, 0o700); err != nil {
			t.Fatal(err)
		}
		junit := filepath.Join(work, "junit.xml")
		out, runErr := env.with("KERNEL_NAME="+k.Name).runClient(t, 5*time.Minute, work, jupyterPython,
			"-m", "pytest", "-p", "no:cacheprovider", "-v", "--junitxml="+junit, "-o", "junit_family=xunit1",
			testdata(t, "values", "test_values.py"))
		cases, err := readJUnit(junit)
		if err != nil || len(cases) == 0 {
			t.Fatalf("pytest produced no test report (%v; pytest: %v):\n%s", err, runErr, out)
		}
		reportJUnit(t, cases, runErr, false)
	})
	t.Run("nbclient", func(t *testing.T) {
		dir := filepath.Join(env.dir, "notebooks-values")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		nb := filepath.Join(dir, "values.ipynb")
		if out, err := env.runClient(t, time.Minute, dir, jupyterPython, testdata(t, "notebooks", "make_notebook.py"),
			testdata(t, "notebooks", "values.json"), nb, "--kernel", k.Name, "--language", k.Lang); err != nil {
			t.Fatalf("make_notebook.py: %v\n%s", err, out)
		}
		out, err := env.runClient(t, 5*time.Minute, dir, jupyterPython, testdata(t, "notebooks", "nb_check.py"),
			nb, "--execute", "--kernel", k.Name, "--timeout", "60", "--out", filepath.Join(dir, "values.out.ipynb"))
		if err != nil {
			t.Error(errExit("nbclient", err, out, "FAIL", "EXECUTION FAILED", "INVALID"))
		}
	})
}
