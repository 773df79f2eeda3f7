package grade

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/gokernel/gokernel/kernel/notebook"
)

// FindSubmissions lists the notebooks to grade in dir: DIR/*.ipynb (the
// student is the file name) and DIR/STUDENT/*.ipynb (nbgrader's
// one-folder-per-student layout), sorted by path, without hidden files and
// checkpoints.
func FindSubmissions(dir string) ([]Submission, error) {
	var found []Submission
	for _, pattern := range []string{"*.ipynb", filepath.Join("*", "*.ipynb")} {
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			rel, _ := filepath.Rel(dir, m)
			if strings.HasPrefix(rel, ".") || strings.Contains(rel, string(filepath.Separator)+".") {
				continue
			}
			if info, err := os.Stat(m); err == nil && info.Mode().IsRegular() {
				sub := SubmissionOf(m)
				if strings.Contains(rel, string(filepath.Separator)) {
					sub.Student = filepath.Base(filepath.Dir(m))
				}
				found = append(found, sub)
			}
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
	return found, nil
}

// Graded is the outcome of grading one submission in GradeAll.
type Graded struct {
	Report   *Report
	Executed *notebook.Notebook // nil when the submission could not be run
}

// GradeAll grades subs with up to workers of them at
// once (each in its own interpreter and scratch folder) and returns their
// outcomes in the order of subs. One broken submission never stops the
// others. progress, if set, is called after each submission with the number
// done so far; calls are serialised.
func (g *Grader) GradeAll(ctx context.Context, subs []Submission, workers int, progress func(done, total int, r *Report)) []Graded {
	if workers < 1 {
		workers = 1
	}
	out := make([]Graded, len(subs))
	jobs := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	for range min(workers, len(subs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r, nb := g.GradeFile(ctx, subs[i])
				out[i] = Graded{Report: r, Executed: nb}
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(subs), r)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range subs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}
