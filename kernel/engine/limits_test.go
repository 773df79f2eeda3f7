package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

const memoryHogProgram = `//line cell12.go:1:1
package main

import "fmt"

func main() {
	var keep [][]byte
	for i := 0; i < 64; i++ {
		b := make([]byte, 16<<20)
		for j := range b {
			b[j] = byte(j)
		}
		keep = append(keep, b)
	}
	fmt.Println(len(keep))
}
`

const forkProgram = `//line cell13.go:1:1
package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	fmt.Fprintln(os.Stderr, "pgid", os.Getpid())
	for i := 0; i < 40; i++ {
		exec.Command("sleep", "30").Start()
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(30 * time.Second)
}
`

const busyProgram = `//line cell14.go:1:1
package main

func main() {
	x := 0
	for {
		x++
	}
}
`

func TestRunLimits(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		src     string
		limits  Limits
		want    string
		maxTime time.Duration
	}{
		{"memory", memoryHogProgram, Limits{Memory: 100 << 20}, "memory limit 100 MB", 5 * time.Second},
		{"threads", forkProgram, Limits{Procs: 20}, "process/thread limit 20", 5 * time.Second},
		{"cpu", busyProgram, Limits{CPU: time.Second}, "CPU time limit 1s", 20 * time.Second}, // 1 s of CPU on a loaded 2-core machine
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin := buildProgram(t, dir, tc.name, tc.src, false)
			out := &recordingOutput{}
			start := time.Now()
			_, err := run(context.Background(), runSpec{Binary: bin, Limits: tc.limits}, out)
			took := time.Since(start)
			e := cellError(t, err, "LimitExceeded")
			if e.Value != tc.want {
				t.Errorf("evalue: have %q, want %q", e.Value, tc.want)
			}
			if took > tc.maxTime {
				t.Errorf("took %s, want under %s", took, tc.maxTime)
			}
			for _, line := range strings.Split(out.text("stderr"), "\n") {
				if v, ok := strings.CutPrefix(line, "pgid "); ok {
					if alive := groupAlive(atoiOrZero(v)); len(alive) > 0 {
						t.Errorf("processes of the group still exist: %v", alive)
					}
				}
			}
		})
	}
}

func TestLimitsFromEnv(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		want        Limits
		wantTimeout time.Duration
		wantErr     string
	}{
		{"none", nil, Limits{}, 0, ""},
		{"all", map[string]string{
			EnvTimeout: "30s", EnvLimitMemory: "512MB", EnvLimitProcs: "64", EnvLimitCPU: "1m", EnvLimitOutput: "2MiB",
		}, Limits{Memory: 512 << 20, Procs: 64, CPU: time.Minute, Output: 2 << 20}, 30 * time.Second, ""},
		{"unlimited output", map[string]string{EnvLimitOutput: "none"}, Limits{Output: -1}, 0, ""},
		{"bad values named", map[string]string{EnvLimitMemory: "lots", EnvTimeout: "soon"}, Limits{}, 0, "GOKERNEL_TIMEOUT=\"soon\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim, timeout, err := limitsFromLookup(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), EnvLimitMemory) {
					t.Fatalf("have error %v, want one naming %s and %s", err, tc.wantErr, EnvLimitMemory)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if lim != tc.want || timeout != tc.wantTimeout {
				t.Errorf("have %+v %s, want %+v %s", lim, timeout, tc.want, tc.wantTimeout)
			}
		})
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1024", 1024, true},
		{"64k", 64 << 10, true},
		{"256MB", 256 << 20, true},
		{"1.5GiB", 3 << 29, true},
		{"2 G", 2 << 30, true},
		{"-1MB", 0, false},
		{"MB", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseByteSize(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("have %d, %v; want %d, ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestEffectiveLimits(t *testing.T) {
	tests := []struct {
		name        string
		cell        Limits
		cellTimeout time.Duration
		op          Limits
		opTimeout   time.Duration
		want        Limits
		wantTimeout time.Duration
	}{
		{"nothing set", Limits{}, 0, Limits{}, 0, Limits{}, 0},
		{"operator only", Limits{}, 0, Limits{Memory: 1 << 30, Procs: 50, CPU: time.Minute, Output: 1 << 20}, time.Minute,
			Limits{Memory: 1 << 30, Procs: 50, CPU: time.Minute, Output: 1 << 20}, time.Minute},
		{"cell only", Limits{Memory: 5, Procs: 6, CPU: 7, Output: -1}, time.Second, Limits{}, 0,
			Limits{Memory: 5, Procs: 6, CPU: 7, Output: -1}, time.Second},
		{"cell lowers", Limits{Memory: 5, Output: 10}, time.Second, Limits{Memory: 9, Output: 20}, time.Minute,
			Limits{Memory: 5, Output: 10}, time.Second},
		{"cell cannot raise", Limits{Memory: 99, Output: -1}, time.Hour, Limits{Memory: 9, Output: 20}, time.Minute,
			Limits{Memory: 9, Output: 20}, time.Minute},
		{"operator lifts the output default", Limits{}, 0, Limits{Output: -1}, 0, Limits{Output: -1}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, gotTimeout := effectiveLimits(tc.cell, tc.cellTimeout, tc.op, tc.opTimeout)
			if got != tc.want || gotTimeout != tc.wantTimeout {
				t.Errorf("have %+v %s, want %+v %s", got, gotTimeout, tc.want, tc.wantTimeout)
			}
		})
	}
}

// TestOperatorLimitsApply checks a cell without its own timeout or limit
// gets the operator's, and that a bad operator environment fails the cell.
func TestOperatorLimitsApply(t *testing.T) {
	bin := buildProgram(t, t.TempDir(), "stuck", strings.Replace(lockOrderProgram, "%s", "for { time.Sleep(time.Hour) }", 1), false)
	tests := []struct {
		name       string
		op         operatorLimits
		wantName   string // evalue's error name
		wantValue  string // in the evalue
		wantStdout string
	}{
		{name: "timeout and output", op: operatorLimits{Timeout: 200 * time.Millisecond, Limits: Limits{Output: 7}},
			wantName: "Timeout", wantValue: "200ms", wantStdout: "started"},
		{name: "bad environment", op: operatorLimits{Err: errors.New(EnvLimitProcs + `="x": want a number of threads`)},
			wantName: "KernelConfigError", wantValue: EnvLimitProcs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &recordingOutput{}
			_, err := run(context.Background(), runSpec{Binary: bin, Operator: tt.op}, out)
			e := cellError(t, err, tt.wantName)
			if !strings.Contains(e.Value, tt.wantValue) {
				t.Errorf("evalue %q does not name %q", e.Value, tt.wantValue)
			}
			if got := out.text("stdout"); got != tt.wantStdout {
				t.Errorf("stdout: have %q, want %q", got, tt.wantStdout)
			}
		})
	}
}

// TestNewReadsOperatorEnv: each engine reads GOKERNEL_TIMEOUT and
// GOKERNEL_LIMIT_* when it is made (they were read once per process).
func TestNewReadsOperatorEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    operatorLimits
		wantErr bool
	}{
		{name: "timeout and output", env: map[string]string{EnvTimeout: "200ms", EnvLimitOutput: "7"},
			want: operatorLimits{Timeout: 200 * time.Millisecond, Limits: Limits{Output: 7}}},
		{name: "memory, another engine", env: map[string]string{EnvLimitMemory: "1MB"},
			want: operatorLimits{Limits: Limits{Memory: 1 << 20}}},
		{name: "a bad value", env: map[string]string{EnvLimitProcs: "x"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{EnvTimeout, EnvLimitMemory, EnvLimitProcs, EnvLimitCPU, EnvLimitOutput} {
				t.Setenv(name, tt.env[name])
			}
			e := newTestEngine(t)
			if tt.wantErr {
				if e.operator.Err == nil {
					t.Errorf("have no error, want one for %v", tt.env)
				}
				return
			}
			if e.operator != tt.want {
				t.Errorf("have %+v, want %+v", e.operator, tt.want)
			}
		})
	}
}
