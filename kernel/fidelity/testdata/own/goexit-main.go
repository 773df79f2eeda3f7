package main

import (
	"fmt"
	"runtime"
	"time"
)

// runtime.Goexit in main runs main's deferred calls; the other goroutines
// carry on, and when the last one ends the runtime reports a deadlock
// (status 2).
func main() {
	go func() {
		time.Sleep(100 * time.Millisecond)
		fmt.Println("worker still ran after main's Goexit")
	}()
	defer fmt.Println("main: deferred call ran")
	fmt.Println("main: before Goexit")
	runtime.Goexit()
	fmt.Println("not reached")
}
