// Package install writes gokernel's kernelspec (kernel.json and two logos)
// where Jupyter looks for kernels, without Python: Jupyter's directory rules
// are reimplemented here. Standard library only.
//
// Files:
//   - install.go: Scope, Options, KernelsDir, DataDir, Spec and Install.
//   - logo.go: the logos, drawn with image/png (no binary files in git).
//
// The repository's top-level kernel.json is the template of Spec; a test
// checks that they agree.
package install
