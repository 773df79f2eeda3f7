// Command linkplain is a cell program as the engine writes it when the cell
// uses and changes ten small values of predeclared types: TestCellLinksLittle
// checks that it links package keep/plain alone, none of keep.
package main

import (
	"fmt"

	_gokernel_cellrt "github.com/gokernel/gokernel/kernel/nb/cellrt"
	_gokernel_keep "github.com/gokernel/gokernel/kernel/nb/keep/plain"
)

var a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 int

var _gokernel_load = []_gokernel_keep.Var{{Name: "a0", Ptr: &a0}, {Name: "a1", Ptr: &a1}, {Name: "a2", Ptr: &a2}, {Name: "a3", Ptr: &a3},
	{Name: "a4", Ptr: &a4}, {Name: "a5", Ptr: &a5}, {Name: "a6", Ptr: &a6}, {Name: "a7", Ptr: &a7}, {Name: "a8", Ptr: &a8}, {Name: "a9", Ptr: &a9}}

var _ = func() bool {
	_gokernel_keep.Load(_gokernel_load)
	return true
}()

func main() {
	_gokernel_cellrt.Start(map[string]any{})
	fmt.Println("hello, world", a0+a1+a2+a3+a4+a5+a6+a7+a8+a9)
	a0++
	_gokernel_keep.Save(_gokernel_load)
	_gokernel_cellrt.Finish()
}
