package main

import "fmt"

// Several init functions run once each, in the order they appear, before
// main.
func init() {
	fmt.Println("first init")
}

func helper() string { return "helper called by main" }

func init() {
	fmt.Println("second init")
}

func main() {
	fmt.Println("main:", helper())
}
