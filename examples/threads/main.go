package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sayHello is the article's print_func: it says hello times times. It sends
// its lines to say instead of printing them so a test can read them.
func sayHello(say func(string), worker, times int) {
	for i := range times {
		say(fmt.Sprintf("worker %d: Hello World! (%d)", worker, i+1))
	}
}

// runWorkers starts workers goroutines running sayHello (t1.start(),
// t2.start() in the article) and waits for all of them (t1.join(), t2.join()).
// It returns the lines in the order they were said.
func runWorkers(workers, times int) []string {
	var (
		mu    sync.Mutex // the slice is shared memory: guard it
		lines []string
		wg    sync.WaitGroup
	)
	say := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, line)
	}
	for w := 1; w <= workers; w++ {
		wg.Add(1) // before the go statement, so Wait cannot miss it
		go func() {
			defer wg.Done()
			sayHello(say, w, times)
		}()
	}
	wg.Wait() // join: returns when every Done has been called
	return lines
}

// parkMany starts n goroutines that block until release is closed and returns
// once all of them have started. The caller closes release and waits on the
// returned WaitGroup.
func parkMany(n int, release <-chan struct{}) *sync.WaitGroup {
	var started, done sync.WaitGroup
	for range n {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			<-release
		}()
	}
	started.Wait()
	return &done
}

// osThreads returns the number of OS threads of this process, read from
// /proc/self/status (Linux). ok is false where that file does not exist.
func osThreads() (n int, ok bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, found := strings.CutPrefix(s.Text(), "Threads:"); found {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			return n, err == nil
		}
	}
	return 0, false
}

func main() {
	for _, line := range runWorkers(2, 5) {
		fmt.Println(line)
	}

	fmt.Printf("\nGOMAXPROCS=%d (goroutines running Go code at once), CPUs=%d\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU())
	const n = 10_000
	release := make(chan struct{})
	start := time.Now()
	done := parkMany(n, release)
	elapsed := time.Since(start)
	threads, ok := osThreads()
	fmt.Printf("%d goroutines started in %v, now %d goroutines", n, elapsed.Round(time.Microsecond), runtime.NumGoroutine())
	if ok {
		fmt.Printf(" on %d OS threads", threads)
	}
	fmt.Println()
	close(release)
	done.Wait()
}
