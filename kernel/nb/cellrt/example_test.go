package cellrt_test

import (
	"fmt"

	"github.com/gokernel/gokernel/kernel/nb/cellrt"
)

// These examples run outside the kernel (GOKERNEL unset), where Result
// prints the plain text instead of writing a frame.

func worker(n int) { fmt.Println("worker", n) }

func ExampleStart() {
	// The first line of every generated main: the cell's top-level
	// functions, by name, for child processes started by package nb. In the
	// cell's own process Start returns at once.
	cellrt.Start(map[string]any{"worker": worker})
	fmt.Println("the cell runs")
	// Output: the cell runs
}

func ExampleResult() {
	cellrt.Result(6 * 7)
	cellrt.Result("a string shows its quotes")
	cellrt.Result([]int{1, 2})
	// Output:
	// 42
	// "a string shows its quotes"
	// [1 2]
}

func pair() (string, bool) { return "key", true }

func ExampleResults() {
	// A trailing call with several results: the values, like a tuple.
	cellrt.Results(pair())
	// Output: ("key", true)
}

// celsius renders itself in HTML when it is a cell's value.
type celsius float64

func (c celsius) HTML() string   { return fmt.Sprintf("<b>%.1f</b> °C", float64(c)) }
func (c celsius) String() string { return fmt.Sprintf("%.1f °C", float64(c)) }

func ExampleBundle() {
	b := cellrt.Bundle(celsius(21.5))
	fmt.Println(b["text/plain"])
	fmt.Println(b["text/html"])
	// Output:
	// 21.5 °C
	// <b>21.5</b> °C
}

func ExampleFinish() {
	cellrt.Start(nil)
	cellrt.AtFinish(func() { fmt.Println("hooks run before goroutines are counted") })
	// ... the cell's statements ...
	cellrt.Finish() // no goroutine left behind: nothing to report
	// Output: hooks run before goroutines are counted
}

func ExampleAtFinish() {
	cellrt.Start(nil)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // a helper goroutine, like nb's queue servers
		<-stop
		close(done)
	}()
	cellrt.AtFinish(func() {
		close(stop)
		<-done
		fmt.Println("helper stopped")
	})
	cellrt.Finish()
	// Output: helper stopped
}

func ExampleFunc() {
	cellrt.Start(map[string]any{"worker": worker})
	fn, ok := cellrt.Func("worker")
	fn.(func(int))(3)
	_, missing := cellrt.Func("nosuch")
	fmt.Println(ok, missing)
	// Output:
	// worker 3
	// true false
}

func ExampleFuncs() {
	cellrt.Start(map[string]any{"worker": worker})
	for name := range cellrt.Funcs() {
		fmt.Println(name)
	}
	// Output: worker
}
