package main

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// stillWaiting reports whether done stays open for a while: the goroutine
// behind it is blocked (a blocked goroutine cannot be observed directly).
func stillWaiting(done <-chan struct{}) bool {
	select {
	case <-done:
		return false
	case <-time.After(20 * time.Millisecond):
		return true
	}
}

func TestBoundedQueuePutWaitsWhileFull(t *testing.T) {
	q := NewBoundedQueue(2)
	q.Put(1)
	q.Put(2)
	done := make(chan struct{})
	go func() { q.Put(3); close(done) }()
	if !stillWaiting(done) {
		t.Fatal("Put into a full queue returned without waiting")
	}
	if v, ok := q.Get(); v != 1 || !ok {
		t.Fatalf("Get = %d, %v; want 1, true", v, ok)
	}
	<-done // the room Get made lets Put go on
	var got []int
	for range 2 {
		v, _ := q.Get()
		got = append(got, v)
	}
	if !slices.Equal(got, []int{2, 3}) {
		t.Errorf("then Get gave %v, want [2 3] (first in, first out)", got)
	}
}

func TestBoundedQueueCloseWakesEveryWaiter(t *testing.T) {
	q := NewBoundedQueue(1)
	const getters = 3
	results := make(chan bool, getters)
	for range getters {
		go func() { _, ok := q.Get(); results <- ok }()
	}
	time.Sleep(20 * time.Millisecond) // let them block on the empty queue
	q.Close()
	for range getters {
		select {
		case ok := <-results:
			if ok {
				t.Error("Get on a closed, empty queue reported an item")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close left a waiting Get asleep")
		}
	}
	if q.Put(1) {
		t.Error("Put on a closed queue reported success")
	}
}

func TestBoundedQueueCloseLetsGetsDrain(t *testing.T) {
	q := NewBoundedQueue(3)
	q.Put(7)
	q.Put(8)
	q.Close()
	var got []int
	for {
		v, ok := q.Get()
		if !ok {
			break
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{7, 8}) {
		t.Errorf("after Close, Get drained %v, want [7 8]", got)
	}
}

// Many producers and consumers through a small queue: every item arrives
// exactly once (run with -race to check the locking too).
func TestBoundedQueueManyProducersAndConsumers(t *testing.T) {
	q := NewBoundedQueue(2)
	const producers, consumers, each = 4, 3, 250
	var prod sync.WaitGroup
	for p := range producers {
		prod.Go(func() {
			for i := range each {
				q.Put(p*each + i)
			}
		})
	}
	seen := make([][]int, consumers)
	var cons sync.WaitGroup
	for c := range consumers {
		cons.Go(func() {
			for {
				v, ok := q.Get()
				if !ok {
					return
				}
				seen[c] = append(seen[c], v)
			}
		})
	}
	prod.Wait()
	q.Close()
	cons.Wait()
	all := slices.Concat(seen...)
	slices.Sort(all)
	if len(all) != producers*each {
		t.Fatalf("%d items arrived, want %d", len(all), producers*each)
	}
	for i, v := range all {
		if v != i {
			t.Fatalf("item %d is %d: lost or duplicated items", i, v)
		}
	}
}
