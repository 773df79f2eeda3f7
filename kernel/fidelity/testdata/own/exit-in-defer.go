package main

import (
	"fmt"
	"os"
)

// Exiting from a deferred call: the calls deferred before it do not run.
func main() {
	defer fmt.Println("deferred first: never printed")
	defer func() {
		fmt.Println("cleanup, then exit 4")
		os.Exit(4)
	}()
	defer fmt.Println("deferred last: printed first")
	fmt.Println("body")
}
