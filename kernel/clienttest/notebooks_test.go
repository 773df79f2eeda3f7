package clienttest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// testNbclient executes a generated notebook with nbclient (the library behind nbconvert,
// papermill and JupyterHub's graders) and checks every cell's outputs exactly: stdout,
// stderr, the execute_result, errors only where the cell says so.
func testNbclient(t *testing.T, e *jupyterEnv, k kernelUnderTest) {
	requirePython(t, "nbclient", "nbformat")
	nb := generatedNotebook(t, e, k)
	out, err := e.runClient(t, 5*time.Minute, filepath.Dir(nb), jupyterPython,
		testdata(t, "notebooks", "nb_check.py"), nb, "--execute", "--kernel", k.Name, "--timeout", "60",
		"--out", strings.TrimSuffix(nb, ".ipynb")+".out.ipynb")
	if err != nil {
		t.Error(errExit("nbclient", err, out, "FAIL", "EXECUTION FAILED", "INVALID"))
	}
}

// generatedNotebook writes the notebook of testdata/notebooks/<lang>.json for the kernel.
func generatedNotebook(t *testing.T, e *jupyterEnv, k kernelUnderTest) string {
	t.Helper()
	dir := filepath.Join(e.dir, "notebooks-"+strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	nb := filepath.Join(dir, "generated.ipynb")
	if out, err := e.runClient(t, time.Minute, dir, jupyterPython, testdata(t, "notebooks", "make_notebook.py"),
		testdata(t, "notebooks", k.Lang+".json"), nb, "--kernel", k.Name, "--language", k.Lang); err != nil {
		t.Fatalf("make_notebook.py: %v\n%s", err, out)
	}
	return nb
}

// testNbconvert runs `jupyter nbconvert --to notebook --execute` on the generated notebook
// and, for gokernel, on every notebook in notebooks/ and notebooks/zh/ (new lessons are
// picked up by the glob). A cell may fail only if it is tagged raises-exception, and a
// tagged cell must fail (issue 7: the lesson's deliberate deadlock, race or panic); the
// executed notebook must be valid nbformat. nbconvert runs with --allow-errors and
// nb_check.py applies the raises-exception rule afterwards, so one run names every
// failing cell instead of stopping at the first.
func testNbconvert(t *testing.T, e *jupyterEnv, k kernelUnderTest) {
	requirePython(t, "nbconvert", "nbclient", "nbformat")
	notebooks := []string{generatedNotebook(t, e, k)}
	if k.Lang == "go" {
		root := moduleRoot(t)
		for _, pattern := range []string{"notebooks/*.ipynb", "notebooks/zh/*.ipynb"} {
			found, err := filepath.Glob(filepath.Join(root, pattern))
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(found)
			notebooks = append(notebooks, found...)
		}
	}
	outDir := filepath.Join(e.dir, "nbconvert")
	for i, nb := range notebooks {
		name := filepath.Base(nb)
		if rel, err := filepath.Rel(moduleRoot(t), nb); err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
		t.Run(strings.TrimSuffix(name, ".ipynb"), func(t *testing.T) {
			// The kernel runs in the notebook's own directory, as it does for a user.
			out := filepath.Join(outDir, fmt.Sprint(i))
			start := time.Now()
			log, err := e.runClient(t, 15*time.Minute, filepath.Dir(nb), jupyterPython, "-m", "nbconvert",
				"--to", "notebook", "--execute", "--allow-errors", "--ExecutePreprocessor.kernel_name="+k.Name,
				"--ExecutePreprocessor.timeout=300", "--ExecutePreprocessor.startup_timeout=60",
				"--output-dir", out, "--output", "executed", nb)
			if err != nil {
				t.Fatal(errTail("nbconvert --execute "+name, err, log, "nbclient.exceptions."))
			}
			t.Logf("executed %s in %s", name, time.Since(start).Round(time.Millisecond))
			check, err := e.runClient(t, time.Minute, out, jupyterPython, testdata(t, "notebooks", "nb_check.py"),
				filepath.Join(out, "executed.ipynb"))
			if err != nil {
				t.Error(errExit("checking "+name, err, check, "FAIL", "INVALID", " cells ok, "))
			}
		})
	}
}
