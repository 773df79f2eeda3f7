package nb

import (
	"bytes"
	"encoding/gob"
	"sync"
	"testing"
)

// BenchmarkProcessStartJoin measures starting a cell function in a child
// process and joining it: the figure the lessons compare with a goroutine.
func BenchmarkProcessStartJoin(b *testing.B) {
	for b.Loop() {
		if err := Run(childSetGlobal, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoroutineStartJoin is the same with a goroutine and a WaitGroup.
func BenchmarkGoroutineStartJoin(b *testing.B) {
	for b.Loop() {
		var wg sync.WaitGroup
		wg.Go(func() { counter++ })
		wg.Wait()
	}
}

// BenchmarkQueueLocal is a Put and a Get in the process that owns the queue.
func BenchmarkQueueLocal(b *testing.B) {
	q := NewQueue[int]()
	for b.Loop() {
		q.Put(1)
		q.Get()
	}
}

// BenchmarkQueueRemote is a Put and a Get through the unix socket, as a
// child process does them (the client is a gob copy of the queue).
func BenchmarkQueueRemote(b *testing.B) {
	q := NewQueue[int]()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(q); err != nil {
		b.Fatal(err)
	}
	var remote *Queue[int]
	if err := gob.NewDecoder(&buf).Decode(&remote); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := remote.Put(1); err != nil {
			b.Fatal(err)
		}
		if _, err := remote.Get(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	closeQueueServers()
}
