package main

import (
	"fmt"
	"os"
)

// os.Exit ends the program at once: what was printed stays, deferred calls
// do not run, and a line without a newline is not lost.
func main() {
	defer fmt.Println("deferred: never printed")
	for i := 1; i <= 3; i++ {
		fmt.Println("line", i)
	}
	fmt.Print("a partial line, then exit")
	os.Exit(3)
}
