package main

import (
	"fmt"
	"runtime"
	"sync"
)

// runtime.Goexit in a goroutine runs that goroutine's deferred calls only.
func main() {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer fmt.Println("goroutine: deferred call ran")
		func() {
			defer fmt.Println("goroutine: nested deferred call ran")
			runtime.Goexit()
		}()
		fmt.Println("not reached")
	}()
	wg.Wait()
	fmt.Println("main: goroutine finished")
}
