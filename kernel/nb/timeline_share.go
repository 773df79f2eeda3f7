package nb

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// A Timeline handed to a child process (nb.Start(worker, tl)) lets the
// child draw lanes on the parent's picture. The child records exactly as a
// goroutine does, in memory and on the parent's clock, and sends a lane's
// records to the parent in one batch, through an nb.Queue, when the lane is
// Done or the child's function returns. The parent merges the batches when
// it draws. So recording stays as cheap in a child as in the parent, and a
// child's lane appears once the child has finished it.

// sharing is the cross-process state of a Timeline.
type sharing struct {
	mu      sync.Mutex
	batches *Queue[laneBatch] // owner: made when first shared; child: a client
	remote  bool              // this Timeline is a child's copy
	flushed map[*Lane]bool    // child: lanes already sent
}

// laneBatch is the records of one lane of a child process.
type laneBatch struct {
	Lane   string
	Spans  []sharedSpan
	Marks  []sharedMark
	DoneAt time.Duration
}

type sharedSpan struct {
	At    time.Duration
	State State
}

type sharedMark struct {
	At    time.Duration
	Label string
}

// sharedTimeline is what a Timeline is encoded as.
type sharedTimeline struct {
	Start   int64 // the owner's start, Unix nanoseconds
	Batches *Queue[laneBatch]
}

// GobEncode makes a Timeline an argument of nb.Start, so that a child
// process can record lanes on it.
func (tl *Timeline) GobEncode() ([]byte, error) {
	tl.share.mu.Lock()
	if tl.share.batches == nil && !tl.share.remote {
		tl.share.batches = NewQueue[laneBatch]()
	}
	st := sharedTimeline{Start: tl.start.UnixNano(), Batches: tl.share.batches}
	tl.share.mu.Unlock()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		return nil, fmt.Errorf("nb: timeline: %w", err)
	}
	return buf.Bytes(), nil
}

// GobDecode makes the receiving process's Timeline a child's copy that
// sends its lanes to the owner.
func (tl *Timeline) GobDecode(b []byte) error {
	var st sharedTimeline
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&st); err != nil {
		return fmt.Errorf("nb: timeline: %w", err)
	}
	if st.Batches == nil {
		return fmt.Errorf("nb: timeline: no queue in the encoded timeline")
	}
	// Wall clock, not monotonic: the parent's start is only known as a
	// Unix time here, and both processes read the same system clock.
	tl.start = time.Unix(0, st.Start)
	tl.share = sharing{batches: st.Batches, remote: true, flushed: map[*Lane]bool{}}
	trackRemoteTimeline(tl)
	return nil
}

// flushLane sends a child's lane to the owner, once.
func (tl *Timeline) flushLane(l *Lane) {
	tl.share.mu.Lock()
	if tl.share.flushed[l] {
		tl.share.mu.Unlock()
		return
	}
	tl.share.flushed[l] = true
	tl.share.mu.Unlock()

	l.mu.Lock()
	b := laneBatch{Lane: l.name, DoneAt: l.doneAt}
	for _, s := range l.spans.all() {
		b.Spans = append(b.Spans, sharedSpan{At: s.at, State: s.state})
	}
	for _, m := range l.marks {
		b.Marks = append(b.Marks, sharedMark{At: m.at, Label: m.label})
	}
	l.mu.Unlock()
	if err := tl.share.batches.Put(b); err != nil {
		fmt.Fprintf(os.Stderr, "nb: timeline lane %q: sending it to the parent: %v\n", l.name, err)
	}
}

// flushAll sends every lane of a child's copy not sent yet.
func (tl *Timeline) flushAll() {
	tl.mu.Lock()
	lanes := slices.Clone(tl.lanes)
	tl.mu.Unlock()
	for _, l := range lanes {
		tl.flushLane(l)
	}
}

// collectRemote merges the lanes children have sent into the owner's
// lanes, in order of arrival.
func (tl *Timeline) collectRemote() {
	tl.share.mu.Lock()
	q := tl.share.batches
	remote := tl.share.remote
	tl.share.mu.Unlock()
	if q == nil || remote {
		return
	}
	for {
		raw, ok, _, _ := q.store.tryGet()
		if !ok {
			return
		}
		b, err := decodeItem[laneBatch](raw)
		if err != nil {
			fmt.Fprintf(os.Stderr, "nb: timeline: a lane from a child process: %v\n", err)
			continue
		}
		tl.mergeLane(b)
	}
}

func (tl *Timeline) mergeLane(b laneBatch) {
	tl.mu.Lock()
	var l *Lane
	for _, x := range tl.lanes {
		if x.name == b.Lane {
			l = x
		}
	}
	if l == nil {
		l = &Lane{tl: tl, name: b.Lane}
		tl.lanes = append(tl.lanes, l)
	}
	tl.mu.Unlock()

	l.mu.Lock()
	defer l.mu.Unlock()
	all := l.spans.all()
	for _, s := range b.Spans {
		all = append(all, span{at: s.At, state: s.State})
	}
	slices.SortStableFunc(all, func(a, b span) int { return int(a.at - b.at) })
	l.spans = spanLog{}
	for _, s := range all {
		l.spans.add(s)
	}
	for _, m := range b.Marks {
		l.marks = append(l.marks, mark{at: m.At, label: m.Label})
	}
	l.doneAt = max(l.doneAt, b.DoneAt)
}

// Timelines received by this (child) process, flushed when its function
// returns.
var (
	remoteTimelinesMu sync.Mutex
	remoteTimelines   []*Timeline
)

func trackRemoteTimeline(tl *Timeline) {
	remoteTimelinesMu.Lock()
	remoteTimelines = append(remoteTimelines, tl)
	remoteTimelinesMu.Unlock()
}

func flushRemoteTimelines() {
	remoteTimelinesMu.Lock()
	list := remoteTimelines
	remoteTimelines = nil
	remoteTimelinesMu.Unlock()
	for _, tl := range list {
		tl.flushAll()
	}
}
