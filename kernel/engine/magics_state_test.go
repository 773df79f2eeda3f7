package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/interp"
)

func TestStateMagics(t *testing.T) {
	e := newTestEngine(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	e.dir = dir
	t.Setenv("GOKERNEL_TEST_BASE", "base")
	steps := []struct {
		name, code string
		stdout     string // substring wanted
		notStdout  string // substring not wanted
		errName    string
	}{
		{name: "who empty", code: "%who", stdout: "Nothing remembered yet"},
		{name: "declare", code: "import \"strings\"\nvar greeting = \"hi\"\n// Double doubles.\nfunc Double(x int) int { return 2 * x }\ntype T struct{}\nfunc (T) M() {}"},
		{name: "who lists", code: "%who", stdout: "func    Double    cell [2]"},
		{name: "who lists methods and imports", code: "%who", stdout: "method  T.M"},
		{name: "reset one", code: "%reset Double", stdout: "Forgot Double."},
		{name: "forgotten is gone", code: "Double(2)", errName: "CompileError"},
		{name: "others stay", code: "greeting", stdout: ""},
		{name: "who after reset one", code: "%who", notStdout: "Double"},
		{name: "reset unknown name", code: "%reset Nope", errName: "NameError"},
		{name: "reset all", code: "%reset -f", stdout: "Forgot"},
		{name: "who after reset", code: "%who", stdout: "Nothing remembered yet"},
		{name: "env set expands", code: "%env GOKERNEL_TEST_X=x-$GOKERNEL_TEST_BASE", stdout: "env: GOKERNEL_TEST_X=x-base\n"},
		{name: "env seen by cells", code: "fmt.Println(os.Getenv(\"GOKERNEL_TEST_X\"))", stdout: "x-base\n"},
		{name: "env seen by shell", code: "!echo $GOKERNEL_TEST_X", stdout: "x-base\n"},
		{name: "env show one", code: "%env GOKERNEL_TEST_X", stdout: "x-base\n"},
		{name: "env list", code: "%env", stdout: "GOKERNEL_TEST_X=x-base\n"},
		{name: "env unset name", code: "%env GOKERNEL_TEST_UNSET_NAME", errName: "EnvError"},
		{name: "cd", code: "%cd sub", stdout: sub + "\n"},
		{name: "cd seen by cells", code: "wd, _ := os.Getwd()\nfmt.Println(wd)", stdout: sub + "\n"},
		{name: "cd missing", code: "%cd nowhere", errName: "CdError"},
		{name: "writefile", code: "%%writefile notes.txt\nline 1\nline 2\n", stdout: "Writing notes.txt\n"},
		{name: "writefile append", code: "%%writefile -a notes.txt\nline 3\n", stdout: "Appending to notes.txt\n"},
		{name: "written file", code: "!cat notes.txt", stdout: "line 1\nline 2\nline 3\n"},
		{name: "unknown magic suggests", code: "%rest", errName: "did you mean %reset?"},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var rec recordingOutput
			_, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: st.code, Count: i + 1}, &rec)
			if st.errName != "" {
				ie, ok := err.(*interp.Error)
				if !ok || !strings.Contains(ie.Name+" "+ie.Error(), st.errName) {
					t.Fatalf("have error %v, want %s", err, st.errName)
				}
				return
			}
			if err != nil {
				t.Fatalf("have error %v", err)
			}
			have := rec.text("stdout")
			if !strings.Contains(have, st.stdout) {
				t.Errorf("stdout: have %q, want %q", have, st.stdout)
			}
			if st.notStdout != "" && strings.Contains(have, st.notStdout) {
				t.Errorf("stdout: have %q, want no %q", have, st.notStdout)
			}
		})
	}
	t.Cleanup(func() { os.Unsetenv("GOKERNEL_TEST_X") })
}

func TestHelpListsEveryMagic(t *testing.T) {
	text := magicHelp()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) != len(magics) {
		t.Fatalf("have %d lines, want one per magic (%d):\n%s", len(lines), len(magics), text)
	}
	for _, m := range magics {
		if m.Short == "" || !strings.Contains(text, m.Usage) {
			t.Errorf("magic %s: usage %q or its line missing from %%help", m.Name, m.Usage)
		}
	}
	for _, want := range []string{"%who", "%reset", "%env", "%cd", "%%writefile", "!COMMAND", "%%bash", "%%sh", "%%python3", "%go get", "%doc", "%lsmagic"} {
		if !strings.Contains(text, want) {
			t.Errorf("%%help lacks %s", want)
		}
	}
}
