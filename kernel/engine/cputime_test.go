package engine

import (
	"context"
	"testing"
	"time"
)

// cpuProgram uses 300 ms of CPU, then has a child process (itself, run
// with an argument) do the same and waits for it. It counts its own CPU
// time, not the clock's: on a loaded machine a spin of 300 ms of wall time
// may get a fraction of that on a core.
const cpuProgram = `package main

import (
	"os"
	"os/exec"
	"syscall"
	"time"
)

func spin(d time.Duration) {
	for {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		if time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) >= d {
			return
		}
	}
}

func main() {
	spin(300 * time.Millisecond)
	if len(os.Args) > 1 {
		return
	}
	if err := exec.Command(os.Args[0], "child").Run(); err != nil {
		panic(err)
	}
}
`

// sleepProgram uses almost no CPU for 300 ms.
const sleepProgram = `package main

import "time"

func main() { time.Sleep(300 * time.Millisecond) }
`

// TestRunReportsCPUTime checks that the run stage measures the CPU a cell's
// program used, the children it waited for included (the lessons' test
// fails a cell that is too heavy for a class on it), and not the time it
// merely waited.
func TestRunReportsCPUTime(t *testing.T) {
	tests := []struct {
		name, src string
		min, max  time.Duration
	}{
		{name: "spins with a child", src: cpuProgram, min: 450 * time.Millisecond, max: time.Hour},
		{name: "sleeps", src: sleepProgram, min: 0, max: 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := buildProgram(t, t.TempDir(), "prog", tt.src, false)
			var cpu time.Duration
			if _, err := run(context.Background(), runSpec{Binary: bin, CPUTime: &cpu}, &recordingOutput{}); err != nil {
				t.Fatal(err)
			}
			if cpu < tt.min || cpu > tt.max {
				t.Errorf("CPU time: have %v, want between %v and %v", cpu, tt.min, tt.max)
			}
		})
	}
}
