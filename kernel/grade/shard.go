package grade

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is one part of a class split across machines: part Index (from 0)
// of Count. Submission number k of the class's sorted list belongs to part
// k mod Count, so every part gets an even share and the parts together hold
// each submission once. Index counts from 0 like a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX, so a Job can pass "$JOB_COMPLETION_INDEX/N".
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Whole is the shard that holds every submission.
var Whole = Shard{Index: 0, Count: 1}

// ParseShard reads "I/N" (0 <= I < N).
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want I/N, e.g. 0/4 for the first of four parts", s)
	}
	sh := Shard{Index: index, Count: count}
	if err := sh.check(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

func (s Shard) check() error {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %d/%d: want 0 <= I < N (parts are numbered from 0)", s.Index, s.Count)
	}
	return nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Select returns the submissions of subs that belong to s and their
// positions in subs. subs must be in the same order on every machine
// (FindSubmissions sorts by path).
func (s Shard) Select(subs []Submission) ([]Submission, []int) {
	var picked []Submission
	var at []int
	for k := s.Index; k < len(subs); k += s.Count {
		picked = append(picked, subs[k])
		at = append(at, k)
	}
	return picked, at
}
