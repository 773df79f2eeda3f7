package speculate

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWork is the work of the tests: each job blocks until the test
// finishes it or its context is cancelled, and records which.
type fakeWork struct {
	mu        sync.Mutex
	release   map[string]chan struct{}
	ended     map[string]chan struct{}
	cancelled []string
}

func newFakeWork() *fakeWork {
	return &fakeWork{release: map[string]chan struct{}{}, ended: map[string]chan struct{}{}}
}

// key turns "b" into the key of the second queued cell and "b/x" into the
// same cell under another assumption (what it sees is "x").
func key(name string) Key {
	code, seen, _ := strings.Cut(name, "/")
	return Key{Count: int(code[0]-'a') + 1, Code: code, Seen: seen}
}

func keyName(k Key) string {
	if k.Seen != "" {
		return k.Code + "/" + k.Seen
	}
	return k.Code
}

func (w *fakeWork) job(name string) Job {
	w.mu.Lock()
	if w.release[name] == nil {
		w.release[name] = make(chan struct{})
		w.ended[name] = make(chan struct{})
	}
	release, ended := w.release[name], w.ended[name]
	w.mu.Unlock()
	return Job{Key: key(name), Run: func(ctx context.Context) {
		defer close(ended)
		select {
		case <-release:
		case <-ctx.Done():
			w.mu.Lock()
			w.cancelled = append(w.cancelled, name)
			w.mu.Unlock()
		}
	}}
}

// planned renders Builds' plan as "a* b c": * marks started jobs.
func planned(b *Builds) string {
	keys, started := b.Planned()
	var parts []string
	for i, k := range keys {
		s := keyName(k)
		if started[i] {
			s += "*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// eventually waits for Builds' plan to read want (jobs start on other
// goroutines after a job ends).
func eventually(t *testing.T, b *Builds, want string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for planned(b) != want {
		if time.Now().After(deadline) {
			t.Fatalf("plan: have %q want %q", planned(b), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBuilds(t *testing.T) {
	type step struct {
		do   string // "plan a b c", "finish a", "wait b", "close"
		plan string // the plan after the step
		// waited is what a "wait" step returns.
		waited bool
	}
	for _, tc := range []struct {
		name      string
		limit     int
		steps     []step
		cancelled string // jobs whose context was cancelled, sorted
	}{
		{"one at a time, earliest cell first", 1, []step{
			{do: "plan a b c", plan: "a* b c"},
			{do: "finish a", plan: "a* b* c"},
			{do: "wait a", plan: "b* c", waited: true},
			{do: "finish b", plan: "b* c*"},
			{do: "wait b", plan: "c*", waited: true},
		}, "c"},
		{"two at a time on two cores", 2, []step{
			{do: "plan a b c", plan: "a* b* c"},
			{do: "finish b", plan: "a* b* c*"},
		}, "a c"},
		{"a new plan keeps identical assumptions and drops changed ones", 2, []step{
			{do: "plan a b c", plan: "a* b* c"},
			{do: "plan a b/x c", plan: "a* b/x* c"},
		}, "a b b/x"},
		{"the cell before failed: the queue empties, every build is dropped", 2, []step{
			{do: "plan a b c", plan: "a* b* c"},
			{do: "plan", plan: ""},
		}, "a b"},
		{"a cell whose assumption broke drops its work and the work before it", 1, []step{
			{do: "plan a b c", plan: "a* b c"},
			{do: "wait b/x", plan: "c*", waited: false},
		}, "a c"},
		{"work that has not started is not waited for", 1, []step{
			{do: "plan a b c", plan: "a* b c"},
			{do: "wait b", plan: "c*", waited: false},
		}, "a c"},
		{"work finished before its cell's turn is kept for it", 1, []step{
			{do: "plan a", plan: "a*"},
			{do: "finish a", plan: "a*"},
			{do: "plan a b", plan: "a* b*"},
			{do: "wait a", plan: "b*", waited: true},
		}, "b"},
		{"a job without Run keeps the running cell's work and plans none", 2, []step{
			{do: "plan a b c", plan: "a* b* c"},
			{do: "plan keep:a c", plan: "a* c*"},
			{do: "plan keep:b c", plan: "c*"},
		}, "a b c"},
		{"close cancels everything", 2, []step{
			{do: "plan a b c", plan: "a* b* c"},
			{do: "close", plan: ""},
		}, "a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWork()
			b := New(tc.limit)
			closed := false
			for _, s := range tc.steps {
				verb, args, _ := strings.Cut(s.do, " ")
				switch verb {
				case "plan":
					var jobs []Job
					for _, name := range strings.Fields(args) {
						keep, isKeep := strings.CutPrefix(name, "keep:")
						if isKeep {
							jobs = append(jobs, Job{Key: key(keep)})
							continue
						}
						jobs = append(jobs, w.job(name))
					}
					b.Plan(jobs)
				case "finish":
					close(w.release[args])
					<-w.ended[args]
				case "wait":
					if have := b.Wait(context.Background(), key(args)); have != s.waited {
						t.Errorf("%s: have %v want %v", s.do, have, s.waited)
					}
				case "close":
					b.Close()
					closed = true
				default:
					t.Fatalf("bad step %q", s.do)
				}
				eventually(t, b, s.plan)
			}
			if !closed {
				b.Close()
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			slices.Sort(w.cancelled)
			if have := strings.Join(w.cancelled, " "); have != tc.cancelled {
				t.Errorf("cancelled: have %q want %q", have, tc.cancelled)
			}
		})
	}
}

// Wait blocks while the cell's work runs and returns when it ends.
func TestWaitWaitsForRunningWork(t *testing.T) {
	w := newFakeWork()
	b := New(1)
	defer b.Close()
	b.Plan([]Job{w.job("a")})
	eventually(t, b, "a*")
	done := make(chan bool)
	go func() { done <- b.Wait(context.Background(), key("a")) }()
	select {
	case <-done:
		t.Fatal("Wait returned while the work still ran")
	case <-time.After(50 * time.Millisecond):
	}
	close(w.release["a"])
	select {
	case waited := <-done:
		if !waited {
			t.Error("Wait: have false, want true")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Wait still blocked 2 s after the work ended")
	}
}

// Wait gives up when its context ends (an interrupt while a build is in
// flight) and the work is cancelled.
func TestWaitInterrupted(t *testing.T) {
	w := newFakeWork()
	b := New(1)
	defer b.Close()
	b.Plan([]Job{w.job("a")})
	eventually(t, b, "a*")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Wait(ctx, key("a"))
	<-w.ended["a"]
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Equal(w.cancelled, []string{"a"}) {
		t.Errorf("cancelled: have %q want [a]", w.cancelled)
	}
}
