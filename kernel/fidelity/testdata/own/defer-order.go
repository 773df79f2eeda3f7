package main

import "fmt"

// Deferred calls run last in, first out; their arguments are evaluated at
// the defer statement; a deferred closure can change a named result.
func double(n int) (result int) {
	defer func() { result *= 2 }()
	return n + 1
}

func main() {
	defer fmt.Println("deferred first, runs last")
	for i := range 3 {
		defer fmt.Println("deferred in loop", i)
	}
	x := 10
	defer fmt.Println("x when deferred:", x)
	x = 20
	defer func() { fmt.Println("x in a deferred closure:", x) }()
	fmt.Println("double(4) =", double(4))
	fmt.Println("end of main's body")
}
