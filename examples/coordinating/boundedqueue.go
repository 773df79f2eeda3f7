package main

import "sync"

// BoundedQueue holds at most capacity items: Put waits while it is full,
// Get while it is empty. It is lesson 7's condition-variable queue, the
// shape of Python's queue.Queue: one lock, and a condition per thing a
// goroutine waits for, so that a Signal wakes a goroutine that can go on
// (with one condition for both, Put's Signal could wake another Put).
//
// A BoundedQueue must not be copied after first use (it holds a mutex);
// use it through the pointer NewBoundedQueue returns.
type BoundedQueue struct {
	mu       sync.Mutex
	notEmpty *sync.Cond // Get waits here for an item, or for Close
	notFull  *sync.Cond // Put waits here for room
	items    []int
	capacity int
	closed   bool
}

// NewBoundedQueue returns an empty queue of capacity at least 1.
func NewBoundedQueue(capacity int) *BoundedQueue {
	q := &BoundedQueue{capacity: max(capacity, 1)}
	q.notEmpty = sync.NewCond(&q.mu) // both conditions share the queue's one lock
	q.notFull = sync.NewCond(&q.mu)
	return q
}

// Put adds v at the end, waiting while the queue is full. It reports false,
// and adds nothing, once the queue is closed.
func (q *BoundedQueue) Put(v int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	// A loop, not an if: another Put may have taken the room between the
	// Signal that woke this one and its turn to hold the lock.
	for len(q.items) == q.capacity && !q.closed {
		q.notFull.Wait() // unlocks q.mu while asleep, locks it again before returning
	}
	if q.closed {
		return false
	}
	q.items = append(q.items, v)
	q.notEmpty.Signal()
	return true
}

// Get removes and returns the first item, waiting while the queue is empty;
// ok is false once the queue is closed and empty.
func (q *BoundedQueue) Get() (v int, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.notEmpty.Wait()
	}
	if len(q.items) == 0 {
		return 0, false
	}
	v = q.items[0]
	q.items = q.items[1:]
	q.notFull.Signal()
	return v, true
}

// Close wakes every waiting Get and Put: Gets drain what is left, then
// report false; Puts report false. Closing twice is harmless.
func (q *BoundedQueue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	// Broadcast, not Signal: every waiter must see the change, and a single
	// Signal would leave all Gets but one asleep for ever.
	q.notEmpty.Broadcast()
	q.notFull.Broadcast()
}
