package engine

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name     string
		code     string
		wantCode string
		cell     settings
		notebook settings
		notes    int
		err      string // substring of the error, "" for none
	}{
		{name: "no magic", code: "x := 1\nfmt.Println(x)", wantCode: "x := 1\nfmt.Println(x)"},
		{name: "race this cell", code: "%race\nx := 1", wantCode: "\nx := 1", cell: settings{Race: true}},
		{name: "race on", code: "%race on\n", wantCode: "\n", cell: settings{Race: true}, notebook: settings{Race: true}},
		{name: "timeout", code: "x := 1\n  %timeout 5s\ny := 2", wantCode: "x := 1\n\ny := 2", cell: settings{Timeout: 5 * time.Second}},
		{name: "timeout default", code: "%timeout default 2m", wantCode: "",
			cell: settings{Timeout: 2 * time.Minute}, notebook: settings{Timeout: 2 * time.Minute}},
		{name: "limits", code: "%limit memory=256MB procs=64 cpu=10s output=10MB\nf()", wantCode: "\nf()",
			cell: settings{Limits: Limits{Memory: 256 << 20, Procs: 64, CPU: 10 * time.Second, Output: 10 << 20}}},
		{name: "limit default", code: "%limit default output=none", wantCode: "",
			cell: settings{Limits: Limits{Output: -1}}, notebook: settings{Limits: Limits{Output: -1}}},
		{name: "help", code: "%help", wantCode: "", notes: 1},
		{name: "lsmagic", code: "%lsmagic\n", wantCode: "\n", notes: 1},
		{name: "percent in raw string is code", code: "s := `\n%d items\n`", wantCode: "s := `\n%d items\n`"},
		{name: "percent in block comment is code", code: "/*\n%race\n*/", wantCode: "/*\n%race\n*/"},
		{name: "unknown magic suggests", code: "%timout 5s", err: "unknown magic %timout; did you mean %timeout?"},
		{name: "unknown magic far from all", code: "%xyzzyplugh", err: "unknown magic %xyzzyplugh (%help"},
		{name: "bad duration", code: "%timeout soon", err: `bad duration "soon"`},
		{name: "bad race arg", code: "%race maybe", err: `want no argument, on or off`},
		{name: "bad limit key", code: "%limit disk=1GB", err: `unknown limit "disk"`},
		{name: "bad size", code: "%limit memory=lots", err: `bad size`},
		{name: "cell magic unknown", code: "%%bsh\necho hi", err: "unknown magic %%bsh; did you mean %%bash?"},
		{name: "time", code: "%time\nf()", wantCode: "\nf()", cell: settings{Time: true}},
		{name: "time as IPython writes it for a cell: the Go code stays", code: "%%time\nx := 1\n%race\nf(x)", wantCode: "\nx := 1\n\nf(x)", cell: settings{Time: true, Race: true}},
		{name: "time before a cell magic", code: "%%time\n%%bash\necho hi", wantCode: "\n\n", cell: settings{Time: true}},
		{name: "time is never a default", code: "%time\n%race on", wantCode: "\n", cell: settings{Time: true, Race: true}, notebook: settings{Race: true}},
		{name: "time takes no argument", code: "%time f()", err: "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := split(tt.code, settings{})
			if tt.err != "" {
				var me *MagicError
				if !errors.As(err, &me) || !strings.Contains(me.Msg, tt.err) {
					t.Fatalf("have error %v, want a *MagicError containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("have error %v", err)
			}
			if got.Code != tt.wantCode {
				t.Errorf("code: have %q, want %q", got.Code, tt.wantCode)
			}
			if got.Cell != tt.cell || got.Notebook != tt.notebook {
				t.Errorf("settings: have cell %+v notebook %+v, want %+v %+v", got.Cell, got.Notebook, tt.cell, tt.notebook)
			}
			if len(got.Notes) != tt.notes {
				t.Errorf("notes: have %d, want %d", len(got.Notes), tt.notes)
			}
		})
	}
}

func TestSplitKeepsNotebookDefaults(t *testing.T) {
	nb := settings{Race: true, Timeout: time.Second}
	got, err := split("%timeout 3s\nx()", nb)
	if err != nil {
		t.Fatal(err)
	}
	if want := (settings{Race: true, Timeout: 3 * time.Second}); got.Cell != want {
		t.Errorf("cell: have %+v, want %+v", got.Cell, want)
	}
	if got.Notebook != nb {
		t.Errorf("notebook: have %+v, want unchanged %+v", got.Notebook, nb)
	}
}

func TestMagicHelpListsEveryMagicOnce(t *testing.T) {
	help := magicHelp()
	lines := strings.Split(strings.TrimSpace(help), "\n")
	if len(lines) != len(magics) {
		t.Fatalf("have %d lines, want %d (one per magic):\n%s", len(lines), len(magics), help)
	}
	for _, m := range magics {
		if !strings.Contains(help, m.Usage) {
			t.Errorf("help lacks %q", m.Usage)
		}
	}
}

// %time (or %%time) prints, after the cell's own output, the program's CPU
// and wall-clock time and what its build took; a cell that fails is timed
// too (a timeout is what one wants timed).
func TestTimeMagic(t *testing.T) {
	e := newTestEngine(t)
	got := execCell(t, e, 1, "%%time\ntime.Sleep(60 * time.Millisecond)\nfmt.Println(\"slept\")")
	if got.Err != nil {
		t.Fatalf("cell failed: %+v", got.Err)
	}
	m := regexp.MustCompile(`(?s)^slept\nCPU times: user [\d.]+ (µs|ms), sys [\d.]+ (µs|ms), total [\d.]+ (µs|ms)\nWall time: ([\d.]+) ms \(the program; building it took [\d.]+ (ms|s)\)\n$`).FindStringSubmatch(got.Stdout)
	if m == nil {
		t.Fatalf("stdout %q", got.Stdout)
	}
	if wall, _ := strconv.ParseFloat(m[4], 64); wall < 60 {
		t.Errorf("wall time %s ms, the cell slept 60 ms", m[4])
	}
	// The same program again: its binary is not built anew.
	if got := execCell(t, e, 2, "%%time\ntime.Sleep(60 * time.Millisecond)\nfmt.Println(\"slept\")"); !strings.Contains(got.Stdout, "its binary was built before") {
		t.Errorf("a cell run again: stdout %q", got.Stdout)
	}
	failed := execCell(t, e, 3, "%time\n%timeout 100ms\nfor {\n\ttime.Sleep(time.Millisecond)\n}")
	if failed.Err == nil || failed.Err.Name != "Timeout" || !strings.Contains(failed.Stdout, "Wall time: ") {
		t.Errorf("a cell that timed out: stdout %q, error %+v", failed.Stdout, failed.Err)
	}
	if got := execCell(t, e, 4, "fmt.Println(1)"); strings.Contains(got.Stdout, "Wall time") {
		t.Errorf("%%time applied to a later cell: %q", got.Stdout)
	}
	if got := execCell(t, e, 5, "%%time\n%%bash\necho hi"); !strings.HasPrefix(got.Stdout, "hi\nWall time: ") {
		t.Errorf("a %%%%bash cell: stdout %q", got.Stdout)
	}
}
