// Command linkcell is a cell program as the engine writes it, keeping ten
// small values: TestCellLinksLittle checks what it links.
package main

import (
	"fmt"

	_gokernel_cellrt "github.com/gokernel/gokernel/kernel/nb/cellrt"
	_gokernel_keep "github.com/gokernel/gokernel/kernel/nb/keep"
)

var a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 int

func main() {
	registerComposites()
	vars := []_gokernel_keep.Var{{Name: "a0", Ptr: &a0}, {Name: "a1", Ptr: &a1}, {Name: "a2", Ptr: &a2}, {Name: "a3", Ptr: &a3},
		{Name: "a4", Ptr: &a4}, {Name: "a5", Ptr: &a5}, {Name: "a6", Ptr: &a6}, {Name: "a7", Ptr: &a7}, {Name: "a8", Ptr: &a8}, {Name: "a9", Ptr: &a9}}
	_gokernel_keep.Load(vars)
	_gokernel_cellrt.Start(map[string]any{})
	fmt.Println("hello, world", a0+a1+a2+a3+a4+a5+a6+a7+a8+a9)
	_gokernel_keep.Save(vars)
	_gokernel_cellrt.Finish()
}
