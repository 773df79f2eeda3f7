package nb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// checkItems checks that got holds exactly n items from each of producers,
// each producer's in the order it put them.
func checkItems(t *testing.T, got []item, producers, n int) {
	t.Helper()
	if len(got) != producers*n {
		t.Errorf("items received: have %d, want %d", len(got), producers*n)
	}
	next := make([]int, producers)
	seen := map[item]bool{}
	for _, it := range got {
		if seen[it] {
			t.Errorf("duplicate item %+v", it)
			continue
		}
		seen[it] = true
		if it.Producer < 0 || it.Producer >= producers {
			t.Errorf("item from unknown producer %+v", it)
			continue
		}
		if it.Seq != next[it.Producer] {
			t.Errorf("producer %d: have seq %d, want %d (order per producer lost)", it.Producer, it.Seq, next[it.Producer])
		}
		next[it.Producer] = it.Seq + 1
	}
}

// TestQueueAcrossProcesses moves 10 000 items from two producer processes
// to a consumer in the parent, then from the parent through a consumer
// process and back.
func TestQueueAcrossProcesses(t *testing.T) {
	const producers, perProducer = 2, 5000

	t.Run("child producers, parent consumer", func(t *testing.T) {
		q := NewQueue[item]()
		var procs []*Proc
		for i := range producers {
			p, err := Start(childProduce, q, i, perProducer)
			if err != nil {
				t.Fatal(err)
			}
			procs = append(procs, p)
		}
		var got []item
		for range producers * perProducer {
			v, err := q.GetTimeout(20 * time.Second)
			if err != nil {
				t.Fatalf("after %d items: %v", len(got), err)
			}
			got = append(got, v)
		}
		for _, p := range procs {
			if err := p.Join(); err != nil {
				t.Errorf("producer: %v", err)
			}
		}
		checkItems(t, got, producers, perProducer)
		if !q.Empty() {
			t.Errorf("queue after all items: have Len %d, want 0", q.Len())
		}
	})

	t.Run("parent producer, child consumer", func(t *testing.T) {
		in, out := NewQueue[item](), NewQueue[item]()
		p, err := Start(childConsume, in, out)
		if err != nil {
			t.Fatal(err)
		}
		for i := range perProducer {
			if err := in.Put(item{Producer: 0, Seq: i}); err != nil {
				t.Fatal(err)
			}
		}
		in.Close()
		if err := p.Join(); err != nil {
			t.Fatalf("consumer: %v", err)
		}
		out.Close()
		var got []item
		for v := range out.All() {
			got = append(got, v)
		}
		checkItems(t, got, 1, perProducer)
	})
}

func TestQueueLocal(t *testing.T) {
	q := NewQueue[string]()
	if err := q.Put("a"); err != nil {
		t.Fatal(err)
	}
	if err := q.Put("b"); err != nil {
		t.Fatal(err)
	}
	if have := q.Len(); have != 2 {
		t.Errorf("Len: have %d, want 2", have)
	}
	if v, err := q.Get(); v != "a" || err != nil {
		t.Errorf("Get: have %q, %v; want \"a\", nil", v, err)
	}
	q.Close()
	if err := q.Put("c"); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: have %v, want ErrClosed", err)
	}
	if v, err := q.Get(); v != "b" || err != nil {
		t.Errorf("Get after Close drains: have %q, %v; want \"b\", nil", v, err)
	}
	if _, err := q.Get(); !errors.Is(err, ErrClosed) {
		t.Errorf("Get on closed, drained queue: have %v, want ErrClosed", err)
	}
}

func TestQueueTimeoutAndContext(t *testing.T) {
	q := NewQueue[int]()
	start := time.Now()
	if _, err := q.GetTimeout(30 * time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("GetTimeout on empty queue: have %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond || d > 2*time.Second {
		t.Errorf("GetTimeout(30ms) took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if _, err := q.GetContext(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("GetContext cancelled: have %v, want context.Canceled", err)
	}
	// A Get waiting when an item arrives gets it.
	done := make(chan int)
	go func() {
		v, _ := q.Get()
		done <- v
	}()
	time.Sleep(5 * time.Millisecond)
	q.Put(7)
	if v := <-done; v != 7 {
		t.Errorf("waiting Get: have %d, want 7", v)
	}
}

func TestQueueErrors(t *testing.T) {
	t.Run("value cannot be encoded", func(t *testing.T) {
		q := NewQueue[func()]()
		err := q.Put(func() {})
		if err == nil || !strings.Contains(err.Error(), "cannot be copied") {
			t.Errorf("Put(func): have %v, want an encoding error", err)
		}
	})
	t.Run("remote get on closed queue", func(t *testing.T) {
		q := NewQueue[int]()
		q.Close()
		p, err := Start(childGetOnce, q)
		if err != nil {
			t.Fatal(err)
		}
		p.Join()
		if have := p.ExitCode(); have != 1 {
			t.Errorf("child's Get on a closed queue: have exit %d, want 1 (ErrClosed)", have)
		}
	})
	t.Run("remote get succeeds", func(t *testing.T) {
		q := NewQueue[int]()
		p, err := Start(childGetOnce, q)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		q.Put(1)
		p.Join()
		if have := p.ExitCode(); have != 0 {
			t.Errorf("child's Get: have exit %d, want 0", have)
		}
	})
	t.Run("queue's process gone", func(t *testing.T) {
		q := NewQueue[int]()
		p, err := Start(childGetOnce, q)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		closeQueueServers() // what the end of the creating cell does
		p.Join()
		if have := p.ExitCode(); have != 3 {
			t.Errorf("child's Get after the server went away: have exit %d, want 3 (connection error)", have)
		}
	})
	t.Run("remote GetTimeout times out and takes no item", func(t *testing.T) {
		q := NewQueue[int]()
		start := time.Now()
		p, err := Start(childGetTimeout, q, 50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		p.Join()
		if have := p.ExitCode(); have != 4 {
			t.Errorf("child's GetTimeout on an empty queue: have exit %d, want 4 (ErrTimeout)", have)
		}
		if d := time.Since(start); d < 50*time.Millisecond {
			t.Errorf("child returned after %v, before its 50ms timeout", d)
		}
		q.Put(8)
		if v, err := q.GetTimeout(time.Second); v != 8 || err != nil {
			t.Errorf("item after the child timed out: have %d, %v; want 8, nil", v, err)
		}
	})
	t.Run("remote GetTimeout gets an item", func(t *testing.T) {
		q := NewQueue[int]()
		p, err := Start(childGetTimeout, q, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		q.Put(1)
		p.Join()
		if have := p.ExitCode(); have != 0 {
			t.Errorf("child's GetTimeout: have exit %d, want 0", have)
		}
	})
	t.Run("waiting client that hangs up takes no item", func(t *testing.T) {
		q := NewQueue[int]()
		p, err := Start(childGetOnce, q)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		p.Kill()
		p.Join()
		time.Sleep(10 * time.Millisecond)
		q.Put(5)
		if v, err := q.GetTimeout(time.Second); v != 5 || err != nil {
			t.Errorf("item after the waiting child died: have %d, %v; want 5, nil", v, err)
		}
	})
}

func TestQueueManyGoroutines(t *testing.T) {
	q := NewQueue[item]()
	const producers, n = 4, 500
	var wg sync.WaitGroup
	for i := range producers {
		wg.Go(func() {
			for j := range n {
				q.Put(item{Producer: i, Seq: j})
			}
		})
	}
	var got []item
	for range producers * n {
		v, err := q.GetTimeout(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	wg.Wait()
	checkItems(t, got, producers, n)
}

func TestQueueNilAndZeroValues(t *testing.T) {
	t.Run("nil pointer stays nil", func(t *testing.T) {
		q := NewQueue[*item]()
		if err := q.Put(nil); err != nil {
			t.Fatal(err)
		}
		if err := q.Put(&item{Seq: 3}); err != nil {
			t.Fatal(err)
		}
		if v, err := q.Get(); v != nil || err != nil {
			t.Errorf("Get: have %v, %v; want nil, nil", v, err)
		}
		if v, err := q.Get(); v == nil || v.Seq != 3 || err != nil {
			t.Errorf("Get: have %v, %v; want &{Seq:3}, nil", v, err)
		}
	})
	t.Run("nil and empty slices", func(t *testing.T) {
		// gob sends no empty slices: an empty slice arrives as nil.
		q := NewQueue[[]int]()
		q.Put(nil)
		q.Put([]int{})
		q.Put([]int{0})
		for _, want := range []string{"[] true", "[] true", "[0] false"} {
			v, _ := q.Get()
			if have := fmt.Sprint(v, " ", v == nil); have != want {
				t.Errorf("Get: have %s, want %s", have, want)
			}
		}
	})
	t.Run("zero values", func(t *testing.T) {
		q := NewQueue[item]()
		q.Put(item{})
		if v, err := q.Get(); v != (item{}) || err != nil {
			t.Errorf("Get: have %v, %v; want the zero item", v, err)
		}
	})
	t.Run("interface items", func(t *testing.T) {
		q := NewQueue[any]()
		q.Put("s")
		q.Put(nil)
		if v, _ := q.Get(); v != "s" {
			t.Errorf("Get: have %#v, want \"s\"", v)
		}
		if v, _ := q.Get(); v != nil {
			t.Errorf("Get: have %#v, want nil", v)
		}
		err := q.Put(item{})
		if err == nil || !strings.Contains(err.Error(), "not registered") {
			t.Errorf("Put of an unregistered type in an interface: have %v, want gob's 'not registered' error", err)
		}
	})
}

// TestQueueLeavesNoFiles: a served queue creates nothing in the temporary
// directory on Linux (an abstract socket), so a cell that dies before it
// cleans up leaks nothing.
func TestQueueLeavesNoFiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract sockets are Linux only")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	q := NewQueue[int]()
	p, err := Start(childGetOnce, q)
	if err != nil {
		t.Fatal(err)
	}
	q.Put(1)
	if err := p.Join(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("files in TMPDIR while a queue is served: have %v, want none", entries)
	}
	if addr, _ := q.GobEncode(); !strings.HasPrefix(string(addr), "@") {
		t.Errorf("address: have %q, want an abstract name (@...)", addr)
	}
}
