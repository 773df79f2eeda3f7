package grade

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ResultsFormat names the layout of a results file, so a file from another
// version is refused instead of misread.
const ResultsFormat = "gokernel-grade-results/1"

// Results is what one grading run writes for a later merge (gokernel grade
// --results): its shard of the class and the reports of that shard's
// submissions, each with its position in the whole class.
type Results struct {
	Format string `json:"format"`
	// SourceSHA256 identifies the assignment graded, so results of two
	// assignments (or two versions of one) are never merged.
	SourceSHA256 string  `json:"source_sha256"`
	Shard        Shard   `json:"shard"`
	Total        int     `json:"total"` // submissions in the whole class, across every shard
	Entries      []Entry `json:"entries"`
}

// Entry is one graded submission and its position in the class's sorted list.
type Entry struct {
	Index  int     `json:"index"`
	Report *Report `json:"report"`
}

// SourceHash is the SHA-256 of an assignment's file, as Results records it.
func SourceHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// WriteResultsFile writes r as indented JSON.
func WriteResultsFile(path string, r *Results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadResultsFile reads a results file written by WriteResultsFile.
func ReadResultsFile(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: not a grading results file: %w", path, err)
	}
	if r.Format != ResultsFormat {
		return nil, fmt.Errorf("%s: format %q, want %q (written by gokernel grade --results)", path, r.Format, ResultsFormat)
	}
	return &r, nil
}

// Merge puts the results of every shard of a class back together: the
// reports in the order one run over the whole class gives. It refuses parts
// of different assignments or classes, a missing or repeated shard, and a
// shard that does not hold exactly its own submissions, so a merged report
// is the whole class or an error. names label the parts in errors (file
// names); parts and names have the same length.
func Merge(parts []*Results, names []string) ([]*Report, error) {
	if len(parts) == 0 {
		return nil, errors.New("no results to merge")
	}
	first := parts[0]
	count := first.Shard.Count
	byIndex := map[int]string{} // shard index -> name of the part holding it
	for i, p := range parts {
		name := names[i]
		switch {
		case p.SourceSHA256 != first.SourceSHA256:
			return nil, fmt.Errorf("%s and %s graded different assignments (or versions of one): their sources differ", names[0], name)
		case p.Total != first.Total:
			return nil, fmt.Errorf("%s saw %d submissions in the class and %s saw %d: the shards did not grade the same folder", names[0], first.Total, name, p.Total)
		case p.Shard.Count != count:
			return nil, fmt.Errorf("%s is shard %s and %s is shard %s: the class was split in different ways", names[0], first.Shard, name, p.Shard)
		}
		if err := p.Shard.check(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if other, dup := byIndex[p.Shard.Index]; dup {
			return nil, fmt.Errorf("shard %s is given twice (%s and %s)", p.Shard, other, name)
		}
		byIndex[p.Shard.Index] = name
	}
	var missing []string
	for i := range count {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, Shard{i, count}.String())
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing shard %s of the class: merge the results of every shard", strings.Join(missing, ", "))
	}
	reports := make([]*Report, first.Total)
	for i, p := range parts {
		want := 0
		if p.Shard.Index < p.Total {
			want = (p.Total - p.Shard.Index + count - 1) / count
		}
		if len(p.Entries) != want {
			return nil, fmt.Errorf("%s (shard %s of %d submissions) holds %d reports, want %d: was its run interrupted?", names[i], p.Shard, p.Total, len(p.Entries), want)
		}
		for _, e := range p.Entries {
			if e.Index < 0 || e.Index >= p.Total || e.Index%count != p.Shard.Index || e.Report == nil {
				return nil, fmt.Errorf("%s: entry %d does not belong to shard %s", names[i], e.Index, p.Shard)
			}
			if reports[e.Index] != nil {
				return nil, fmt.Errorf("%s: submission %d appears twice", names[i], e.Index)
			}
			reports[e.Index] = e.Report
		}
	}
	return reports, nil
}
