package main

import (
	"errors"
	"fmt"
)

// safeDiv turns a panic into an error through a named result.
func safeDiv(a, b int) (q int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	return a / b, nil
}

func repanic() {
	defer func() {
		r := recover()
		fmt.Println("first recover:", r)
		panic(fmt.Sprint("again after ", r))
	}()
	panic("first")
}

func main() {
	defer func() {
		r := recover()
		fmt.Println("main recovered:", r)
		var err error = errors.New("wrapped")
		fmt.Println(fmt.Errorf("still running: %w", err))
	}()
	fmt.Println(safeDiv(7, 2))
	fmt.Println(safeDiv(1, 0))
	repanic()
	fmt.Println("not reached")
}
