package engine

import (
	"context"
	"strings"
	"testing"
)

// wgGoRaceProgram races in goroutines that sync.WaitGroup.Go starts inside
// racyCount, which main calls: the race detector's "created at" stacks then
// hold only WaitGroup.Go and main's call of racyCount.
const wgGoRaceProgram = `//line cell1.go:1:1
package main

import (
	"fmt"
	"sync"
)

func racyCount() int {
	counter := 0
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 100 {
				counter++
			}
		})
	}
	wg.Wait()
	return counter
}

//line cell2.go:1:1
func main() {
	fmt.Println(racyCount())
}
`

// TestRaceReportNamesWhoStartedTheGoroutine checks that a goroutine started
// by a library function is said to be started by it in the cell function
// that called it, not at the line of main that called that function.
func TestRaceReportNamesWhoStartedTheGoroutine(t *testing.T) {
	const created = `Goroutine 8 (running) created at:
  sync.(*WaitGroup).Go()
      /usr/local/go/src/sync/waitgroup.go:238 +0x72
`
	tests := []struct {
		name, report string
		want         string // a line of the rendered report
	}{{
		name: "func literal of racyCount, called from main",
		report: `Write at 0x00c0000180f8 by goroutine 8:
  main.racyCount.func1()
      cell1.go:17 +0x64

` + created + `  main.main()
      cell2.go:2 +0x2a
`,
		want: "    goroutine 8 (running) was started by sync.WaitGroup.Go in racyCount (from cell [2] line 2  in main)",
	}, {
		name: "func literal of main",
		report: `Read at 0x00c0000a0028 by goroutine 8:
  main.main.func2()
      cell2.go:21 +0x2e

` + created,
		want: "    goroutine 8 (running) was started by sync.WaitGroup.Go in main",
	}, {
		name: "func literal of a method",
		report: `Read at 0x00c0000180e8 by goroutine 8:
  main.(*T).run.func1()
      cell1.go:12 +0x30

` + created + `  main.main()
      cell2.go:24 +0x1ed
`,
		want: "    goroutine 8 (running) was started by sync.WaitGroup.Go in (*T).run (from cell [2] line 24  in main)",
	}, {
		name: "named function",
		report: `Read at 0x00c0000180e8 by goroutine 8:
  main.worker()
      cell1.go:12 +0x30

` + created,
		want: "    goroutine 8 (running) was started by sync.WaitGroup.Go to run worker",
	}, {
		name: "go statement in a cell",
		report: `Read at 0x00c0000180e8 by goroutine 8:
  main.main.func1()
      cell5.go:16 +0x30

Goroutine 8 (running) created at:
  main.main()
      cell5.go:13 +0x1ed
`,
		want: "    goroutine 8 (running) was started at cell [5] line 13  in main",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := parseRaceReport(tt.report).lines()
			if !strings.Contains(strings.Join(lines, "\n")+"\n", tt.want+"\n") {
				t.Errorf("have\n%s\nwant a line\n%s", strings.Join(lines, "\n"), tt.want)
			}
		})
	}

	t.Run("a real report", func(t *testing.T) {
		bin := buildProgram(t, t.TempDir(), "wggo", wgGoRaceProgram, true)
		_, err := run(context.Background(), runSpec{Binary: bin, Race: true}, &recordingOutput{})
		e := cellError(t, err, "DataRace")
		tb := strings.Join(e.Traceback, "\n")
		if !strings.Contains(tb, "was started by sync.WaitGroup.Go in racyCount (from cell [2] line 2  in main)") {
			t.Errorf("traceback does not say wg.Go in racyCount started the goroutines:\n%s", tb)
		}
	})
}
