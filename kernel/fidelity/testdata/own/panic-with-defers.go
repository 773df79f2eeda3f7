package main

import "fmt"

// A panic nobody recovers runs the deferred calls, prints them, then ends
// the program with status 2.
func step(n int) {
	defer fmt.Println("unwinding step", n)
	if n == 3 {
		panic(fmt.Sprintf("step %d failed", n))
	}
	step(n + 1)
}

func main() {
	defer fmt.Println("main's deferred call still runs")
	fmt.Println("starting")
	step(1)
	fmt.Println("not reached")
}
