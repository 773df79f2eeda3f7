package bench

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

// programsRan reads the run stages from a kernel's log as the kernel
// writes it (slog's text handler, GOKERNEL_LOG=debug): a Go cell's, a
// %%python3 cell's (no cell attribute), and nothing from other stages or
// messages.
func TestProgramsRanSumsRunStages(t *testing.T) {
	for _, tc := range []struct {
		name string
		log  func(*slog.Logger)
		want time.Duration
	}{
		{"no run stage", func(l *slog.Logger) {
			l.Debug("stage", "cell", 1, "phase", "build", "dur", 300*time.Microsecond, "how", "cache of earlier kernels")
			l.Info("kernel started", "dur", time.Second)
		}, 0},
		{"a Go cell and a magic cell", func(l *slog.Logger) {
			l.Debug("stage", "cell", 1, "phase", "vet", "dur", 500*time.Microsecond, "findings", 0)
			l.Debug("stage", "cell", 1, "phase", "run", "dur", 68798566*time.Nanosecond, "cpu", 87*time.Millisecond)
			l.Debug("stage", "cell", 1, "phase", "commit", "dur", 110*time.Microsecond)
			l.Debug("stage", "phase", "run", "dur", 1032070475*time.Nanosecond, "cpu", 11*time.Millisecond, "interpreter", "python3")
			l.Debug("stage", "cell", 2, "phase", "magic", "dur", 1033*time.Millisecond)
			l.Debug("stage", "cell", 3, "phase", "run", "dur", 282*time.Nanosecond, "cpu", 0)
		}, 68798566*time.Nanosecond + 1032070475*time.Nanosecond + 282*time.Nanosecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.log(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
			if got := programsRan(buf.String()); got != tc.want {
				t.Errorf("programsRan = %v, want %v; log:\n%s", got, tc.want, buf.String())
			}
		})
	}
}

func TestRunStagesSumLinesAsTheyCome(t *testing.T) {
	var r runStages
	// A log written in pieces that split lines, with other lines between.
	for _, piece := range []string{
		"time=x level=DEBUG msg=stage cell=1 phase=build dur=70ms\ntime=x level=DEBUG msg=stage cell=1 pha",
		"se=run dur=1.5ms cpu=1ms\nnoise\ntime=x level=DEBUG msg=stage cell=2 phase=run dur=2",
		"50ms cpu=1ms\n",
	} {
		if n, err := r.Write([]byte(piece)); n != len(piece) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got, want := r.take(), 251500*time.Microsecond; got != want {
		t.Errorf("take = %v, want %v", got, want)
	}
	if got := r.take(); got != 0 {
		t.Errorf("second take = %v, want 0 (taken already)", got)
	}
	r.Write([]byte("msg=stage cell=3 phase=run dur=4ms")) // no newline yet: not a whole line
	if got := r.take(); got != 0 {
		t.Errorf("take of an unfinished line = %v, want 0", got)
	}
}
