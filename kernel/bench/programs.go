package bench

import (
	"fmt"
	"strings"
)

// The cells the benchmark runs. Each takes a run number that is printed or
// declared, so that the source changes on every run and the kernel cannot
// answer from a cached binary (the worst case a user meets: an edited cell).

// helloCell is the hello-world cell, as a user types it (no import line).
func helloCell(run int) string {
	return fmt.Sprintf("fmt.Println(\"hello, world\", %d)\n", run)
}

// helloProgram is helloCell as a standalone program for go run / go build.
func helloProgram(run int) string {
	return fmt.Sprintf("package main\n\nimport \"fmt\"\n\nfunc main() {\n\t%s}\n", helloCell(run))
}

// lessonDecls and lessonStmts are the ~60-line lesson cell: workers taking
// jobs from a channel, a mutex-guarded balance, a WaitGroup as join.
const lessonDecls = `import (
	"fmt"
	"sync"
	"time"
)

// account is shared by the workers; mu guards balance.
type account struct {
	mu      sync.Mutex
	balance int
}

func (a *account) deposit(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += n
}

func (a *account) read() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}

// worker takes jobs from the queue, deposits them and says how many it did.
func worker(id int, jobs <-chan int, results chan<- string, acct *account, wg *sync.WaitGroup) {
	defer wg.Done()
	done := 0
	for j := range jobs {
		acct.deposit(j)
		done++
	}
	results <- fmt.Sprintf("worker %d handled %d jobs", id, done)
}

const lessonRun = RUN
`

const lessonStmts = `jobs := make(chan int, 16)
results := make(chan string, 4)
acct := new(account)
var wg sync.WaitGroup
start := time.Now()
for id := 1; id <= 4; id++ {
	wg.Add(1)
	go worker(id, jobs, results, acct, &wg)
}
for j := 1; j <= 100; j++ {
	jobs <- j
}
close(jobs)
wg.Wait()
close(results)
handled := 0
for range results {
	handled++
}
select {
case <-time.After(time.Millisecond):
default:
}
fmt.Println("run", lessonRun, "workers", handled, "balance", acct.read(), "want", 5050)
fmt.Println("fast:", time.Since(start) < time.Second)
`

func lessonDeclsFor(run int) string {
	return strings.Replace(lessonDecls, "RUN", fmt.Sprint(run), 1)
}

// lessonCell is the lesson cell for run.
func lessonCell(run int) string {
	return lessonDeclsFor(run) + "\n" + lessonStmts
}

// lessonProgram is lessonCell as a standalone program.
func lessonProgram(run int) string {
	body := "\t" + strings.ReplaceAll(strings.TrimRight(lessonStmts, "\n"), "\n", "\n\t")
	return "package main\n\n" + lessonDeclsFor(run) + "\nfunc main() {\n" + body + "\n}\n"
}

// declarationCells returns cells that together declare n names of every
// kind a cell can remember (func, type, const, var), perCell per cell.
func declarationCells(n, perCell int) []string {
	var cells []string
	var b strings.Builder
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "func helper%03d(x int) int { return x*%d + 1 }\n", i, i)
		case 1:
			fmt.Fprintf(&b, "type record%03d struct{ ID, Value int }\n", i)
		case 2:
			fmt.Fprintf(&b, "const limit%03d = %d\n", i, i)
		case 3:
			fmt.Fprintf(&b, "var counter%03d = %d\n", i, i)
		}
		if (i+1)%perCell == 0 || i == n-1 {
			cells = append(cells, b.String())
			b.Reset()
		}
	}
	return cells
}

// raceCell is a correct (race-free) counter built with the race detector.
func raceCell(run int) string {
	return fmt.Sprintf(`%%race
var mu sync.Mutex
var wg sync.WaitGroup
counter := 0
for i := 0; i < 4; i++ {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := 0; j < 1000; j++ {
			mu.Lock()
			counter++
			mu.Unlock()
		}
	}()
}
wg.Wait()
fmt.Println("race run", %d, "counter", counter)
`, run)
}

// floodCell prints mb megabytes of 100-byte lines.
func floodCell(run, mb int) string {
	return fmt.Sprintf(`// flood run %d
w := bufio.NewWriterSize(os.Stdout, 1<<16)
line := strings.Repeat("x", 99) + "\n"
for i := 0; i < %d; i++ {
	w.WriteString(line)
}
w.Flush()
`, run, mb*10_000)
}

// busyMarker is what busyCell and loopCell print once they run, so the
// client knows the build is over and the program is running.
const busyMarker = "cell-is-running"

// sleepCell prints busyMarker and then sleeps for a minute (interrupted by the benchmark).
func sleepCell(run int) string {
	return fmt.Sprintf("fmt.Println(%q, %d)\ntime.Sleep(time.Minute)\n", busyMarker, run)
}

// loopCell prints busyMarker and then spins on one core until interrupted.
func loopCell(run int) string {
	return fmt.Sprintf("fmt.Println(%q, %d)\nfor {\n}\n", busyMarker, run)
}

// The kept values of figure 12: ten small := variables, and a 10 MB slice.
const (
	keptSmallCell = "a0, a1, a2, a3, a4 := 0, 1, 2, 3, 4\na5, a6, a7, a8, a9 := 5, 6, 7, 8, 9\n"
	keptBigCell   = "big := make([]byte, 10<<20)\nfor i := range big {\n\tbig[i] = byte(i)\n}\n"
	keptSliceCell = "few := []byte{1, 2, 3}\n"
)

// keptSliceUse is a hello cell that reads a small kept slice: like the
// 10 MB cells, its program links keep's codec ([]byte is not a
// predeclared type), so it is their baseline.
func keptSliceUse(run int) string {
	return fmt.Sprintf("fmt.Println(\"hello, world\", %d, len(few), few[1])\n", run)
}

// keptSmallUse is a hello cell that reads the ten small kept values.
func keptSmallUse(run int) string {
	return fmt.Sprintf("fmt.Println(\"hello, world\", %d, a0+a1+a2+a3+a4+a5+a6+a7+a8+a9)\n", run)
}

// keptBigUse is a hello cell that reads the 10 MB kept value: its program
// loads the value and, since the cell does not change it, does not save it.
func keptBigUse(run int) string {
	return fmt.Sprintf("fmt.Println(\"hello, world\", %d, len(big), big[12345])\n", run)
}

// keptBigChange is a hello cell that changes a byte of the 10 MB kept
// value: its program loads the value before the cell and saves it after.
func keptBigChange(run int) string {
	return fmt.Sprintf("big[%d]++\nfmt.Println(\"hello, world\", %d, len(big))\n", run%(10<<20), run)
}
