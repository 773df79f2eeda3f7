// Package speculate schedules work for cells that wait in the execute queue,
// ahead of their turn, under an assumption about what each will see, and
// throws that work away when the assumption breaks.
//
// JupyterLab's Run All sends every execute_request at once; the kernel runs
// the cells one at a time. While one cell runs (or builds), the engine can
// build the next ones on the spare core, assuming the cells before them
// commit their declarations. A Key names that assumption: the cell's code,
// the execution count it will run as, and a fingerprint of what the cells
// before it leave for it to see. When a cell's turn comes the engine
// computes the real Key and Waits: work planned under the same Key is waited
// for, anything planned under another is dropped.
//
// Builds only schedules, waits and cancels. What the work produces is kept
// by the caller where the real path finds it by content (the engine's
// binary cache is keyed by the program's source), so a wrong guess costs CPU
// time, never a wrong result.
package speculate

import (
	"context"
	"sync"
)

// Key is what speculative work for one queued cell assumed.
type Key struct {
	Count int    // execution count the cell will run as
	Code  string // the cell's source, as sent
	Seen  string // fingerprint of what the cells before it leave for it
}

// Job is work planned for one queued cell.
type Job struct {
	Key Key
	// Run does the work; it must return soon after ctx ends. A Job without
	// Run only keeps work already planned under Key (the cell now running
	// may be waiting for it) and plans none.
	Run func(ctx context.Context)
}

// Builds runs planned Jobs, at most limit at once, earliest cell first.
type Builds struct {
	limit int

	mu     sync.Mutex
	jobs   []*job // planned, in queue order
	closed bool
	wg     sync.WaitGroup
}

type job struct {
	Job
	ctx     context.Context
	cancel  context.CancelFunc
	started bool
	done    chan struct{} // closed when Run returned (or the job was dropped before it started)
}

// New returns Builds that runs at most limit jobs at once (at least 1).
func New(limit int) *Builds {
	return &Builds{limit: max(limit, 1)}
}

// Plan makes jobs the planned work, in queue order. Work already planned
// under an identical Key is kept as it is (running, finished or waiting);
// every other planned job is cancelled and dropped.
func (b *Builds) Plan(jobs []Job) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	old := map[Key]*job{}
	for _, j := range b.jobs {
		old[j.Key] = j
	}
	next := make([]*job, 0, len(jobs))
	for _, j := range jobs {
		if have, ok := old[j.Key]; ok {
			next = append(next, have)
			delete(old, j.Key)
			continue
		}
		if j.Run == nil {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		next = append(next, &job{Job: j, ctx: ctx, cancel: cancel, done: make(chan struct{})})
	}
	for _, j := range old {
		b.dropLocked(j)
	}
	b.jobs = next
	b.startLocked()
}

// Wait is called when the cell of key is about to build for real. If work
// planned under exactly key is running, Wait waits for it to end (or for
// ctx). Then the work of key and of every cell before it is dropped: what
// had not started is cancelled, the cell builds on its own. Wait reports
// whether work under key had started (and so may have left its result).
func (b *Builds) Wait(ctx context.Context, key Key) bool {
	b.mu.Lock()
	i := b.indexLocked(key)
	var started *job
	if i >= 0 && b.jobs[i].started {
		started = b.jobs[i]
	}
	b.mu.Unlock()
	if started != nil {
		select {
		case <-started.done:
		case <-ctx.Done():
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// Find it again: a Plan may have changed the list meanwhile.
	if i = b.indexLocked(key); i < 0 {
		// Nothing planned for this cell: drop what was planned for it or
		// for cells before it (its execution count or less).
		i = -1
		for k, j := range b.jobs {
			if j.Key.Count <= key.Count {
				i = k
			}
		}
	}
	for _, j := range b.jobs[:i+1] {
		b.dropLocked(j)
	}
	b.jobs = append(b.jobs[:0:0], b.jobs[i+1:]...)
	b.startLocked()
	return started != nil
}

// Close cancels every job and waits for the running ones to return.
func (b *Builds) Close() {
	b.mu.Lock()
	b.closed = true
	for _, j := range b.jobs {
		b.dropLocked(j)
	}
	b.jobs = nil
	b.mu.Unlock()
	b.wg.Wait()
}

// Planned returns the keys of the planned jobs and whether each has
// started, in queue order.
func (b *Builds) Planned() (keys []Key, started []bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, j := range b.jobs {
		keys = append(keys, j.Key)
		started = append(started, j.started)
	}
	return keys, started
}

func (b *Builds) indexLocked(key Key) int {
	for i, j := range b.jobs {
		if j.Key == key {
			return i
		}
	}
	return -1
}

// dropLocked cancels j; a job that never started is finished at once.
func (b *Builds) dropLocked(j *job) {
	j.cancel()
	if !j.started {
		j.started = true // never to be started now
		close(j.done)
	}
}

// startLocked starts the earliest waiting jobs while fewer than limit run.
func (b *Builds) startLocked() {
	running := 0
	for _, j := range b.jobs {
		if j.started && !isDone(j) {
			running++
		}
	}
	for _, j := range b.jobs {
		if running >= b.limit {
			return
		}
		if j.started {
			continue
		}
		j.started = true
		running++
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			j.Run(j.ctx)
			close(j.done)
			b.mu.Lock()
			b.startLocked()
			b.mu.Unlock()
		}()
	}
}

func isDone(j *job) bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}
