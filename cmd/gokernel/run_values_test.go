package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRunCarriesValues: gokernel run keeps values between cells as the kernel does (issue
// 12): the counter goes on, the panicking cell (run on with --allow-errors) changes nothing,
// and an initializer does not run again.
func TestRunCarriesValues(t *testing.T) {
	path := writeCells(t,
		"func load() int { fmt.Println(\"loading\"); return 100 }\nbalance := load()",
		"balance += 5",
		"balance = -1\npanic(\"bank closed\")",
		"fmt.Println(\"balance\", balance)",
	)
	out := filepath.Join(t.TempDir(), "out.ipynb")
	r := gokernel(t, "run", path, "-o", out, "--allow-errors")
	if r.code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stdout, "loading\n"); n != 1 {
		t.Errorf("the initializer ran %d times, want once:\n%s", n, r.stdout)
	}
	nb := readValid(t, out)
	last := nb.Cells[len(nb.Cells)-1].Outputs
	if len(last) != 1 || last[0].Text != "balance 105\n" {
		t.Errorf("last cell: have %+v, want stdout \"balance 105\\n\"", last)
	}
}
