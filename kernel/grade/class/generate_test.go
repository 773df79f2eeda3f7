package class

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/grade"
	"github.com/gokernel/gokernel/kernel/notebook"
)

const assignmentsDir = "../../../notebooks/assignments"

func TestGenerateFollowsTheMix(t *testing.T) {
	source := filepath.Join(assignmentsDir, "02-worker-pool.ipynb")
	dir := t.TempDir()
	plans, err := Generate(dir, source, 45, DefaultMix)
	if err != nil {
		t.Fatal(err)
	}
	count := map[Kind]int{}
	for _, p := range plans {
		count[p.Kind]++
	}
	// two rounds of twenty, then correct, wrong, correct, infinite loop, correct
	want := map[Kind]int{Correct: 23, NotAttempted: 6, WrongAnswer: 5, InfiniteLoop: 3, Panic: 2, HugePrint: 2, ForkFlood: 2, MemoryHog: 2}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d submissions of kind %s, want %d (all: %v)", count[k], k, n, count)
		}
	}
	subs, err := grade.FindSubmissions(dir)
	if err != nil || len(subs) != len(plans) {
		t.Fatalf("FindSubmissions found %d (%v), want %d", len(subs), err, len(plans))
	}
	for i, s := range subs {
		if s.Path != plans[i].Path || s.Student != plans[i].Student {
			t.Errorf("submission %d is %+v, planned %s at %s: the plans must be in the grader's order", i, s, plans[i].Student, plans[i].Path)
		}
	}

	// Every kind's notebook is what it says.
	src, _ := notebook.ReadFile(source)
	for _, p := range plans[:20] {
		nb, err := notebook.ReadFile(p.Path)
		if err != nil {
			t.Fatal(err)
		}
		pool := cellSource(nb, "pool")
		switch p.Kind {
		case Correct:
			if pool != cellSource(src, "pool") {
				t.Errorf("%s (correct): pool is not the reference", p.Student)
			}
		case NotAttempted:
			if !strings.Contains(pool, grade.StubStatement) {
				t.Errorf("%s (not attempted): pool is %q", p.Student, pool)
			}
		case InfiniteLoop, ForkFlood, MemoryHog, Panic:
			if !strings.Contains(pool, strings.TrimSpace(strings.ReplaceAll(hostile[p.Kind].code, "\n", "\n\t"))) || strings.Contains(pool, "BEGIN SOLUTION") {
				t.Errorf("%s (%s): pool does not answer with the hostile code:\n%s", p.Student, p.Kind, pool)
			}
		case WrongAnswer:
			if p.Wrong == "" || pool == cellSource(src, "pool") {
				t.Errorf("%s (wrong): no known-wrong answer in pool", p.Student)
			}
		}
	}

	// The same arguments give the same class, byte for byte.
	again := t.TempDir()
	if _, err := Generate(again, source, 45, DefaultMix); err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		a, _ := os.ReadFile(p.Path)
		b, _ := os.ReadFile(filepath.Join(again, p.Student, filepath.Base(p.Path)))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two generations", p.Student)
		}
	}
}

func TestGenerateRefusesWhatItCannotMake(t *testing.T) {
	dir := t.TempDir()
	noWrongs := filepath.Join(dir, "99-new.ipynb")
	b, _ := os.ReadFile(filepath.Join(assignmentsDir, "02-worker-pool.ipynb"))
	os.WriteFile(noWrongs, b, 0o644)
	for _, tt := range []struct {
		source string
		mix    []Kind
		want   string
	}{
		{noWrongs, []Kind{WrongAnswer}, "KnownWrong has none"},
		{noWrongs, nil, "empty mix"},
		{noWrongs, []Kind{"sneaky"}, "unknown kind"},
		{filepath.Join(dir, "missing.ipynb"), DefaultMix, "no such file"},
	} {
		if _, err := Generate(filepath.Join(dir, "out"), tt.source, 3, tt.mix); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Generate(%s, %v) = %v, want an error saying %q", filepath.Base(tt.source), tt.mix, err, tt.want)
		}
	}
}

func TestPlannedCheck(t *testing.T) {
	p := Planned{Student: "s1", Kind: WrongAnswer, Wrong: "two-atomics", Score: 3, says: map[string]string{"test_invariant": "never in that state"}}
	report := func(reason string, status string) *grade.Report {
		return &grade.Report{Score: 3, Cells: []grade.CellReport{
			{GradeID: "test_one", Points: 1, Status: grade.Passed},
			{GradeID: "test_invariant", Status: status, Reason: reason},
			{GradeID: "test_race_free", Points: 2, Status: grade.Passed},
		}}
	}
	if err := p.Check(report("panic: Balances() returned 0 and 3: the bank was never in that state", grade.Failed)); err != nil {
		t.Errorf("a report as planned: %v", err)
	}
	if err := p.Check(report("panic: something else", grade.Failed)); err == nil {
		t.Error("a reason without the planned words passed")
	}
	if err := p.Check(report("", grade.Passed)); err == nil {
		t.Error("a cell that should fail but passed went unnoticed")
	}
	r := report("the bank was never in that state", grade.Failed)
	r.Score = 5
	if err := p.Check(r); err == nil || !strings.Contains(err.Error(), "scored 5, want 3") {
		t.Errorf("a wrong score: %v", err)
	}
}

func cellSource(nb *notebook.Notebook, id string) string {
	for _, c := range nb.Cells {
		if c.ID == id {
			return c.Source
		}
	}
	return ""
}
