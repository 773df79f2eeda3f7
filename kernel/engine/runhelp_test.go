package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

// Helpers of the run stage's tests: real programs built with `go build`
// (each starting with a //line cellN.go directive, as composed cells do) and
// an interp.Output that records what run sends it.

// buildProgram builds src into dir (a test's TempDir, shared by its
// subtests) and returns the binary's path.
func buildProgram(tb testing.TB, dir, name, src string, race bool) string {
	tb.Helper()
	file := filepath.Join(dir, name+".go")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, file)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	return bin
}

// outputEvent is one call run made on the recording Output.
type outputEvent struct {
	Kind string // "stream", "display", "clear", "input"
	Name string // stream name
	Text string // stream text or input prompt
	At   time.Time
	Data map[string]any
}

// recordingOutput is an interp.Output that remembers every call. Input
// answers from Answers in order; with NoStdin it returns interp.ErrNoStdin;
// when Answers is used up it waits for ctx (an unanswered prompt).
type recordingOutput struct {
	mu        sync.Mutex
	events    []outputEvent
	Answers   []string
	NoStdin   bool
	Passwords []bool
	onStream  func(name, text string)
}

func (r *recordingOutput) Stream(name, text string) {
	r.mu.Lock()
	r.events = append(r.events, outputEvent{Kind: "stream", Name: name, Text: text, At: time.Now()})
	f := r.onStream
	r.mu.Unlock()
	if f != nil {
		f(name, text)
	}
}

func (r *recordingOutput) Display(d interp.Display) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, outputEvent{Kind: "display", Text: d.DisplayID, Data: d.Data, At: time.Now()})
}

func (r *recordingOutput) ClearOutput(wait bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, outputEvent{Kind: "clear", At: time.Now()})
}

func (r *recordingOutput) Input(ctx context.Context, prompt string, password bool) (string, error) {
	r.mu.Lock()
	r.events = append(r.events, outputEvent{Kind: "input", Text: prompt, At: time.Now()})
	r.Passwords = append(r.Passwords, password)
	if r.NoStdin {
		r.mu.Unlock()
		return "", interp.ErrNoStdin
	}
	if len(r.Answers) > 0 {
		a := r.Answers[0]
		r.Answers = r.Answers[1:]
		r.mu.Unlock()
		return a, nil
	}
	r.mu.Unlock()
	<-ctx.Done()
	return "", ctx.Err()
}

// text joins everything sent on one stream.
func (r *recordingOutput) text(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		if e.Kind == "stream" && e.Name == name {
			b.WriteString(e.Text)
		}
	}
	return b.String()
}

func (r *recordingOutput) eventsOf(kind string) []outputEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []outputEvent
	for _, e := range r.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// waitForText waits until stream name contains want, or fails the test.
func (r *recordingOutput) waitForText(t *testing.T, name, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(r.text(name), want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never showed %q; have %q", name, want, r.text(name))
}

// cellError asserts err is an *interp.Error named name and returns it.
func cellError(t *testing.T, err error, name string) *interp.Error {
	t.Helper()
	ie, ok := err.(*interp.Error)
	if !ok {
		t.Fatalf("have error %v (%T), want *interp.Error %s", err, err, name)
	}
	if ie.Name != name {
		t.Fatalf("have ename %q, want %q\n%s", ie.Name, name, ie.Error())
	}
	return ie
}

// groupAlive lists processes (and zombies) of process group pgid, from /proc.
func groupAlive(pgid int) []string {
	entries, _ := os.ReadDir("/proc")
	var alive []string
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		// pid (comm) state ppid pgrp …; comm may hold spaces: split after the last ')'.
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) {
			alive = append(alive, s[:i+1]+" state "+f[0])
		}
	}
	return alive
}
