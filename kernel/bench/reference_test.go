package bench

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// The baselines must time programs that build and run, or every relative
// target would compare against the time of a failure.
func TestReferenceProgramsBuildAndRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs with the go command (-short)")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("LOUD SKIP: no go command on PATH: %v", err)
	}
	m, err := newReferenceModule(goBin)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for name, program := range map[string]string{"hello": helloProgram(1), "lesson": lessonProgram(1)} {
		t.Run(name, func(t *testing.T) {
			d, err := m.goBuildRun(ctx, program)
			if err != nil {
				t.Fatalf("go build + run: %v", err)
			}
			if d <= 0 {
				t.Errorf("have duration %v, want > 0", d)
			}
		})
	}
}
