package grade

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		want    Shard
		wantErr string
	}{
		{"0/1", Shard{0, 1}, ""},
		{"3/4", Shard{3, 4}, ""},
		{" 0/8 ", Shard{0, 8}, ""},
		{"4/4", Shard{}, "0 <= I < N"},
		{"-1/4", Shard{}, "0 <= I < N"},
		{"0/0", Shard{}, "0 <= I < N"},
		{"1", Shard{}, "want I/N"},
		{"a/b", Shard{}, "want I/N"},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseShard(%q) = %v, %v; want an error saying %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// class is n reports as one run over the whole class would give them.
func class(n int) []*Report {
	out := []*Report{}
	for i := range n {
		name := fmt.Sprintf("s%03d", i)
		out = append(out, &Report{Student: name, Submission: filepath.Join("subs", name, "a.ipynb"), Score: float64(i % 6), MaxScore: 5,
			Cells: []CellReport{{GradeID: "t", Points: float64(i % 6), MaxPoints: 5, Status: Passed}}})
	}
	return out
}

// split grades the class in count shards, as count machines would.
func split(reports []*Report, count int) []*Results {
	subs := make([]Submission, len(reports))
	for i, r := range reports {
		subs[i] = Submission{Path: r.Submission, Student: r.Student}
	}
	var parts []*Results
	for i := range count {
		sh := Shard{i, count}
		picked, at := sh.Select(subs)
		p := &Results{Format: ResultsFormat, SourceSHA256: "abc", Shard: sh, Total: len(reports)}
		for k := range picked {
			p.Entries = append(p.Entries, Entry{Index: at[k], Report: reports[at[k]]})
		}
		parts = append(parts, p)
	}
	return parts
}

func namesOf(parts []*Results) []string {
	var names []string
	for _, p := range parts {
		names = append(names, "part-"+p.Shard.String())
	}
	return names
}

func TestMergeOfShardsIsTheWholeClass(t *testing.T) {
	for _, tt := range []struct{ students, shards int }{{12, 1}, {12, 3}, {12, 5}, {200, 7}, {3, 8}, {0, 2}} {
		t.Run(fmt.Sprintf("%d in %d", tt.students, tt.shards), func(t *testing.T) {
			whole := class(tt.students)
			parts := split(whole, tt.shards)
			seen := 0
			for _, p := range parts {
				seen += len(p.Entries)
			}
			if seen != tt.students {
				t.Fatalf("the shards hold %d submissions, want %d", seen, tt.students)
			}
			// The order of the files on the command line must not matter.
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
			merged, err := Merge(parts, namesOf(parts))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(merged, whole) {
				t.Errorf("merged reports differ from the whole run:\nhave %v\nwant %v", merged, whole)
			}
		})
	}
}

func TestMergeRefusesAnIncompleteOrMixedClass(t *testing.T) {
	tests := []struct {
		name    string
		mangle  func(parts []*Results) []*Results
		wantErr string
	}{
		{"a shard missing", func(p []*Results) []*Results { return append(p[:1], p[2:]...) }, "missing shard 1/3"},
		{"a shard twice", func(p []*Results) []*Results { return append(p, p[0]) }, "shard 0/3 is given twice"},
		{"another assignment", func(p []*Results) []*Results { p[2].SourceSHA256 = "def"; return p }, "different assignments"},
		{"another folder", func(p []*Results) []*Results { p[1].Total = 13; return p }, "did not grade the same folder"},
		{"split another way", func(p []*Results) []*Results { p[1].Shard = Shard{1, 4}; return p }, "split in different ways"},
		{"an interrupted shard", func(p []*Results) []*Results { p[1].Entries = p[1].Entries[:2]; return p }, "holds 2 reports, want 4"},
		{"an entry of another shard", func(p []*Results) []*Results {
			p[1].Entries[0].Index = 0
			return p
		}, "does not belong to shard 1/3"},
		{"nothing", func(p []*Results) []*Results { return nil }, "no results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := tt.mangle(split(class(12), 3))
			merged, err := Merge(parts, namesOf(parts))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Merge = %d reports, %v; want an error saying %q", len(merged), err, tt.wantErr)
			}
		})
	}
}

func TestResultsFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "part.json")
	want := split(class(5), 2)[1]
	if err := WriteResultsFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResultsFile(path)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{`{"format": "other/9"}`, `[1, 2]`, `{"format": "gokernel-grade-results/1", "extra": 1}`} {
		p := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadResultsFile(p); err == nil {
			t.Errorf("ReadResultsFile accepted %s", bad)
		}
	}
}
