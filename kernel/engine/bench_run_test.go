package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Benchmarks of the run stage. Run them with
//
//	go test -run '^$' -bench 'BenchmarkRun' -benchtime 10x ./kernel/engine/
//
// BenchmarkRunInterrupt reports the time from cancelling a cell (a busy
// loop plus a ticking goroutine plus a `sleep 300` child) to run returning
// with the goroutine view and the process group gone; BenchmarkRunFlood the
// throughput and message rate of a 100 MB print.

func BenchmarkRunInterrupt(b *testing.B) {
	bin := buildProgram(b, b.TempDir(), "spawn", spawnLoopProgram, false)
	var total, worst time.Duration
	for i := 0; i < b.N; i++ {
		out := &recordingOutput{}
		ctx, cancel := context.WithCancel(context.Background())
		var cancelAt time.Time
		out.onStream = func(name, text string) {
			if strings.Contains(text, "tick") && cancelAt.IsZero() {
				cancelAt = time.Now()
				cancel()
			}
		}
		_, err := run(ctx, runSpec{Binary: bin}, out)
		took := time.Since(cancelAt)
		cancel()
		if e, ok := err.(interface{ Error() string }); !ok || !strings.HasPrefix(e.Error(), "Interrupted") {
			b.Fatalf("have %v, want Interrupted", err)
		}
		total += took
		worst = max(worst, took)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms-interrupt-to-return")
	b.ReportMetric(float64(worst.Microseconds())/1000, "ms-worst")
}

func BenchmarkRunFlood(b *testing.B) {
	bin := buildProgram(b, b.TempDir(), "flood", floodProgram, false)
	const total = 1600 * 65536
	var took time.Duration
	messages := 0
	for i := 0; i < b.N; i++ {
		out := &countingOutput{}
		start := time.Now()
		if _, err := run(context.Background(), runSpec{Binary: bin, Limits: Limits{Output: -1}}, out); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		messages += out.messages
		if out.bytes != total {
			b.Fatalf("have %d bytes, want %d", out.bytes, total)
		}
	}
	b.SetBytes(total)
	b.ReportMetric(float64(messages)/took.Seconds(), "messages/s")
	b.ReportMetric(float64(messages)/float64(b.N), "messages/100MB")
}
