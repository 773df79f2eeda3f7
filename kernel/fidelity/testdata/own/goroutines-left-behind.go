package main

import "fmt"

// main returns while goroutines are still blocked: the program just ends.
func main() {
	block := make(chan int)
	for i := range 3 {
		go func() { block <- i }()
	}
	fmt.Println("main returns with 3 goroutines blocked")
}
