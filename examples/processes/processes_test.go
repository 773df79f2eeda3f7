package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary play the child roles: startChild re-executes
// os.Executable(), which under `go test` is this test binary.
func TestMain(m *testing.M) {
	if status, ok := childRole(); ok {
		os.Exit(status)
	}
	os.Exit(m.Run())
}

func TestChildren(t *testing.T) {
	tests := []struct {
		role     string
		wantOut  string
		wantCode int
	}{
		{role: "hello", wantOut: strings.Repeat("Hello World!\n", 5), wantCode: 0},
		{role: "fail", wantOut: "", wantCode: 3},
		{role: "nosuchrole", wantOut: "", wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			out, code, err := run(context.Background(), tt.role)
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.wantOut {
				t.Errorf("stdout: have %q, want %q", out, tt.wantOut)
			}
			if code != tt.wantCode {
				t.Errorf("exit code: have %d, want %d", code, tt.wantCode)
			}
		})
	}
}

func TestChildHasItsOwnMemory(t *testing.T) {
	before := counter
	out, code, err := run(context.Background(), "increment")
	if err != nil || code != 0 {
		t.Fatalf("run: code %d, err %v", code, err)
	}
	if want := "counter = 101"; !strings.Contains(out, want) {
		t.Errorf("child printed %q, want it to contain %q", out, want)
	}
	if counter != before {
		t.Errorf("parent's counter: have %d, want %d unchanged", counter, before)
	}
}

func TestTwoChildrenJoined(t *testing.T) {
	ctx := context.Background()
	p1, err := startChild(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := startChild(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if p1.cmd.Process.Pid == p2.cmd.Process.Pid || p1.cmd.Process.Pid == os.Getpid() {
		t.Errorf("pids: p1 %d, p2 %d, parent %d; want three different processes", p1.cmd.Process.Pid, p2.cmd.Process.Pid, os.Getpid())
	}
	for name, p := range map[string]*child{"p1": p1, "p2": p2} {
		out, code, err := p.join()
		if err != nil || code != 0 {
			t.Fatalf("%s: code %d, err %v", name, code, err)
		}
		if have := strings.Count(out, "Hello World!"); have != 5 {
			t.Errorf("%s printed Hello World! %d times, want 5", name, have)
		}
	}
}
