package main

import (
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
)

// racyCount lets goroutines goroutines each add 1 to a shared counter
// increments times with no synchronisation. counter++ is a read, an add and a
// write: two goroutines can read the same value and one update is lost. This
// is a data race; its result is not defined by the Go memory model.
func racyCount(goroutines, increments int) int {
	counter := 0
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range increments {
				counter++ // DATA RACE, on purpose
			}
		})
	}
	wg.Wait()
	return counter
}

// mutexCount is racyCount with each increment under a sync.Mutex, the
// counterpart of the article's `with lock:`.
func mutexCount(goroutines, increments int) int {
	var (
		mu      sync.Mutex
		counter int
		wg      sync.WaitGroup
	)
	for range goroutines {
		wg.Go(func() {
			for range increments {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return counter
}

// atomicCount is racyCount with an atomic add: one indivisible machine
// instruction, no lock.
func atomicCount(goroutines, increments int) int64 {
	var (
		counter atomic.Int64
		wg      sync.WaitGroup
	)
	for range goroutines {
		wg.Go(func() {
			for range increments {
				counter.Add(1)
			}
		})
	}
	wg.Wait()
	return counter.Load()
}

// table is a map read by many goroutines and written by few: readers share
// an RWMutex's read lock, a writer takes it alone.
type table struct {
	mu   sync.RWMutex
	rows map[string]int
}

// get returns the value stored under key.
func (t *table) get(key string) (int, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, ok := t.rows[key]
	return v, ok
}

// set stores v under key.
func (t *table) set(key string, v int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rows == nil {
		t.rows = map[string]int{}
	}
	t.rows[key] = v
}

// account is a balance with its own lock.
type account struct {
	id      int
	mu      sync.Mutex
	balance int
}

// transfer moves amount from one account to another. It locks both accounts,
// always the one with the lower id first: if one goroutine locked a then b
// while another locked b then a, each could hold one lock and wait forever
// for the other (a deadlock).
func transfer(from, to *account, amount int) {
	first, second := from, to
	if second.id < first.id {
		first, second = second, first
	}
	first.mu.Lock()
	defer first.mu.Unlock()
	second.mu.Lock()
	defer second.mu.Unlock()
	from.balance -= amount
	to.balance += amount
}

func main() {
	goroutines := flag.Int("goroutines", 4, "goroutines sharing the counter")
	increments := flag.Int("increments", 100_000, "increments per goroutine")
	flag.Parse()
	want := *goroutines * *increments

	if raceEnabled {
		fmt.Println("racy:   skipped under -race (the detector would stop the program here)")
	} else {
		have := racyCount(*goroutines, *increments)
		fmt.Printf("racy:   %d of %d (%d updates lost)\n", have, want, want-have)
	}
	fmt.Printf("mutex:  %d of %d\n", mutexCount(*goroutines, *increments), want)
	fmt.Printf("atomic: %d of %d\n", atomicCount(*goroutines, *increments), want)

	var t table
	t.set("answer", 42)
	v, _ := t.get("answer")
	fmt.Println("table:  answer =", v)

	a, b := &account{id: 1, balance: 100}, &account{id: 2, balance: 100}
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() { transfer(a, b, 1) })
		wg.Go(func() { transfer(b, a, 1) })
	}
	wg.Wait()
	fmt.Printf("accounts after 2000 opposite transfers: a=%d b=%d (no deadlock)\n", a.balance, b.balance)
}
