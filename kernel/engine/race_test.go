package engine

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const racyCounterProgram = `//line cell5.go:1:1
package main

import (
	"fmt"
	"sync"
)

func main() {
	counter := 0
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				counter++
			}
		}()
	}
	wg.Wait()
	fmt.Println("counter", counter)
}
`

// racyCounterEvalue is the evalue for racyCounterProgram: the count of
// reports varies with timing, the line does not.
var racyCounterEvalue = regexp.MustCompile(`^(1 data race|[2-9] data races) at cell \[5\] line 16$`)

// TestRunDataRace builds with -race (about 7 s the first time on a cold
// cache: the race-enabled standard library is built once).
func TestRunDataRace(t *testing.T) {
	dir := t.TempDir()
	bin := buildProgram(t, dir, "racy", racyCounterProgram, true)

	t.Run("run stage", func(t *testing.T) {
		out := &recordingOutput{}
		_, err := run(context.Background(), runSpec{Binary: bin, Race: true}, out)
		e := cellError(t, err, "DataRace")
		// How many reports the detector prints for the two goroutines depends on
		// timing (one write/write pair, or also a read/write pair on the same
		// line); what is deterministic is the one racing line named.
		if !racyCounterEvalue.MatchString(e.Value) {
			t.Errorf("evalue %q: want N data race(s) at cell [5] line 16, and no other line", e.Value)
		}
		tb := strings.Join(e.Traceback, "\n")
		for _, want := range []string{"DATA RACE", "by goroutine", "at cell [5] line 16  in func literal in main", "was started at cell [5] line 13  in main"} {
			if !strings.Contains(tb, want) {
				t.Errorf("traceback lacks %q:\n%s", want, tb)
			}
		}
		if !strings.HasPrefix(out.text("stdout"), "counter ") {
			t.Errorf("stdout %q: the program should run to its end", out.text("stdout"))
		}
		if stderr := out.text("stderr"); strings.Contains(stderr, "WARNING") || strings.Contains(stderr, "Found") {
			t.Errorf("the raw race report was streamed: %q", stderr)
		}
		t.Logf("the student sees:\n%s", tb)
	})

	t.Run("parse a captured report", func(t *testing.T) {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
		raw, _ := cmd.CombinedOutput()
		start := strings.Index(string(raw), raceSeparator)
		if start < 0 {
			t.Fatalf("no race report in %q", raw)
		}
		r := parseRaceReport(string(raw[start:]))
		if len(r.Sections) < 3 {
			t.Fatalf("have %d sections, want the two accesses and the creations: %+v", len(r.Sections), r)
		}
		if got := strings.Join(r.cellLines(), ","); got != "cell [5] line 16" {
			t.Errorf("cell lines: have %q, want %q", got, "cell [5] line 16")
		}
		if !strings.HasPrefix(r.Sections[1].What, "previous ") {
			t.Errorf("second section: have %q, want the previous access", r.Sections[1].What)
		}
	})
}
