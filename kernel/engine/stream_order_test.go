package engine

import (
	"context"
	"strings"
	"testing"
)

// TestStreamSinkKeepsOrderAcrossStreams: text that reached stderr before
// stdout is sent first, even when both arrive within one flush interval.
func TestStreamSinkKeepsOrderAcrossStreams(t *testing.T) {
	tests := []struct {
		name   string
		writes []struct{ stream int }
		want   string
	}{
		{name: "stderr first", writes: []struct{ stream int }{{stderrStream}, {stdoutStream}}, want: "stderr,stdout"},
		{name: "stdout first", writes: []struct{ stream int }{{stdoutStream}, {stderrStream}}, want: "stdout,stderr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &recordingOutput{}
			s := newStreamSink(out, -1)
			for _, w := range tt.writes {
				s.write(w.stream, []byte(streamNames[w.stream]+" line\n"))
			}
			s.close()
			var order []string
			for _, e := range out.events {
				order = append(order, e.Name)
			}
			if have := strings.Join(order, ","); have != tt.want {
				t.Errorf("streams sent in the order %s, want %s", have, tt.want)
			}
		})
	}
}

// childPanicProgram runs itself as a child that writes nb's report of a
// panicking child function to stderr and exits with status 2, as a function
// started with nb.Process does; the parent then prints that it lives on.
const childPanicProgram = `//line cell10.go:1:1
package main

import (
	"fmt"
	"os"
	"os/exec"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprint(os.Stderr, "panic: something impossible happened\nin child process panics (pid 7), which exits with status 2:\n    cell [10] line 3  in panics\n")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[0], "child")
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	fmt.Println("child:", err)
	fmt.Println("the parent is still running")
}
`

// TestRunShowsChildPanicBeforeTheParentGoesOn: a child's panic report is
// shown where it happened, before what the parent prints after the child
// ended, and the cell does not fail (the parent did not crash).
func TestRunShowsChildPanicBeforeTheParentGoesOn(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "childpanic", childPanicProgram, false)
	out := &recordingOutput{}
	if _, err := run(context.Background(), runSpec{Binary: bin}, out); err != nil {
		t.Fatalf("the cell failed: %v", err)
	}
	var all strings.Builder
	for _, e := range out.events {
		all.WriteString(e.Text)
	}
	text := all.String()
	panicAt, parentAt := strings.Index(text, "panic: something impossible"), strings.Index(text, "the parent is still running")
	if panicAt < 0 || parentAt < 0 || panicAt > parentAt {
		t.Errorf("want the child's panic before the parent's line:\n%s", text)
	}
}
