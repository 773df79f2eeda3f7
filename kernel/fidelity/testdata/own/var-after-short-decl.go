package main

import "fmt"

// In main's body, a var statement whose initializer uses a variable made
// just before it: it is initialised when it is reached, in order.
func main() {
	x := 5
	var y = x * 2
	var names []string = []string{fmt.Sprint("x=", x)}
	x = 7
	fmt.Println(x, y, names)
}
