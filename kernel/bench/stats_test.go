package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name    string
		samples []float64
		want    Summary
	}{
		{"empty", nil, Summary{}},
		{"one", []float64{7}, Summary{N: 1, Median: 7, Min: 7, Max: 7}},
		{"odd unsorted", []float64{9, 1, 5}, Summary{N: 3, Median: 5, Min: 1, Max: 9}},
		{"even takes the mean of the middle two", []float64{4, 1, 3, 10}, Summary{N: 4, Median: 3.5, Min: 1, Max: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if have := Summarize(tt.samples); have != tt.want {
				t.Errorf("have %+v\nwant %+v", have, tt.want)
			}
		})
	}
}

func TestEvaluateTargets(t *testing.T) {
	rep := &Report{}
	goRun := rep.reference("2", "go_run", "go run", "ms")
	for _, v := range []float64{200, 210, 190} {
		goRun.Add(v)
	}
	fast := rep.result("2", "fast", "fast", "ms", Target{Op: "<=", Value: 100}, Target{Op: "<=", Value: 0.8, Of: "go_run"})
	fast.Add(90)
	slow := rep.result("2", "slow", "slow", "ms", Target{Op: "<=", Value: 100})
	slow.Add(120)
	rate := rep.result("8", "rate", "rate", "MB/s", Target{Op: ">=", Value: 50})
	rate.Add(60)
	empty := rep.result("1", "empty", "empty", "ms", Target{Op: "<=", Value: 50})
	empty.Fail(os.ErrDeadlineExceeded)
	relToMissing := rep.result("4", "rel", "rel", "ms", Target{Op: "<=", Value: 1.3, Of: "nowhere"})
	relToMissing.Add(1)
	rep.Evaluate()
	for _, tt := range []struct {
		r    *Result
		want string
	}{{goRun, ""}, {fast, "PASS"}, {slow, "MISS"}, {rate, "PASS"}, {empty, "NO DATA"}, {relToMissing, "NO DATA"}} {
		if tt.r.Verdict != tt.want {
			t.Errorf("%s: have verdict %q, want %q", tt.r.Key, tt.r.Verdict, tt.want)
		}
	}
	if have, want := fast.Targets[1].Bound, 0.8*200.0; have != want {
		t.Errorf("relative bound: have %v, want %v", have, want)
	}
}

func TestReportTableAndJSON(t *testing.T) {
	rep := &Report{Runs: 2}
	r := rep.result("1", "start_kernel_info", "kernel start", "ms", Target{Op: "<=", Value: 50})
	r.Add(20)
	r.Add(30)
	rep.result("8", "flood_mb_per_s", "flood", "MB/s", Target{Op: ">=", Value: 50}).Add(40)
	rep.Evaluate()
	var table strings.Builder
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"start_kernel_info", "25.0", "PASS", "flood_mb_per_s", "MISS", "≥ 50.0"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != 2 || back.Results[0].Median != 25 || back.Results[1].Verdict != "MISS" {
		t.Errorf("have %+v after a JSON round trip", back.Results)
	}
}
