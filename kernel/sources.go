// Package kernel holds what the installed gokernel binary needs to carry with
// it: the source of the packages that cells use (kernel/nb and below).
//
// A cell program is built in the engine's private workspace module, which
// replaces github.com/gokernel/gokernel with a copy of these sources, so a cell
// imports the same public path as a standalone program would, with no network
// access and no checkout of this repository.
//
// Files: sources.go (this file).
package kernel

import "embed"

// CellSources is the source tree of kernel/nb (paths start with "nb/"). It
// includes test files and test data; writers skip what a build does not need.
//
//go:embed nb
var CellSources embed.FS

// CellModulePath is the module path the cell sources belong to.
const CellModulePath = "github.com/gokernel/gokernel"
