package main

import (
	"fmt"
	"sort"
)

// init fills a table of plain data that main reads.
var squares = map[int]int{}

var order []string

func init() {
	for i := 1; i <= 4; i++ {
		squares[i] = i * i
	}
	order = append(order, "init")
}

func main() {
	keys := make([]int, 0, len(squares))
	for k := range squares {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		fmt.Println(k, squares[k])
	}
	order = append(order, "main")
	fmt.Println(order)
}
