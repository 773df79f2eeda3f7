package main

import (
	"fmt"
	"time"
)

// A panic in a goroutine ends the whole program (status 2); main's deferred
// calls do not run.
func main() {
	defer fmt.Println("main: deferred, never printed")
	fmt.Println("main: starting a goroutine that panics")
	go func() {
		defer fmt.Println("goroutine: deferred call runs before the crash")
		panic("goroutine failed")
	}()
	time.Sleep(10 * time.Second)
	fmt.Println("not reached")
}
