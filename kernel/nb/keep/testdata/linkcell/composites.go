//go:build composites

package main

import _gokernel_keep "github.com/gokernel/gokernel/kernel/nb/keep"

// What the engine writes when a loaded value holds a []T, [n]T or
// map[K]V inside an interface.
func registerComposites() { _gokernel_keep.RegisterType[_gokernel_keep.Composites]() }
