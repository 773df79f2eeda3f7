package main

import "fmt"

func inner() {
	defer fmt.Println("inner: deferred")
	fmt.Println("inner: body")
}

func outer() {
	defer func() {
		defer fmt.Println("outer: defer inside a deferred call")
		fmt.Println("outer: deferred call")
		inner()
	}()
	fmt.Println("outer: body")
}

func main() {
	defer func() {
		defer func() {
			fmt.Println("main: innermost deferred")
		}()
		fmt.Println("main: deferred")
	}()
	outer()
	fmt.Println("main: after outer")
}
