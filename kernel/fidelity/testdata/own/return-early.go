package main

import "fmt"

// main's body returns early; its deferred call still runs.
func main() {
	defer fmt.Println("deferred after the early return")
	for i := range 10 {
		if i == 2 {
			fmt.Println("returning at", i)
			return
		}
		fmt.Println("i =", i)
	}
	fmt.Println("not reached")
}
