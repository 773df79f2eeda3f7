package main

import (
	"fmt"
	"os"
	"strings"
)

// Output without a final newline, tabs, non-ASCII text and a large amount
// of it, written by fmt and by os.Stdout directly.
func main() {
	for i := range 2000 {
		fmt.Printf("%04d\t%s\n", i, strings.Repeat("é", i%7))
	}
	os.Stdout.WriteString("héllo, 世界")
	fmt.Print(" — the end, no newline")
}
