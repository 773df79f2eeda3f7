package main

import (
	"bufio"
	"fmt"
	"os"
)

// Buffered output flushed by a deferred call: everything the program
// prints reaches stdout only through the defer.
func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for i := 1; i <= 5; i++ {
		fmt.Fprintln(w, "buffered line", i)
	}
}
