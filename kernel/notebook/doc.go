// Package notebook reads, writes and validates Jupyter notebooks in nbformat 4.
//
// Files:
//   - notebook.go: the Notebook, Cell and Output types and their helpers
//     (kernelspec metadata, tags, nbgrader metadata, cell ids).
//   - read.go: Read/Parse, accepting sources as a string or a list of lines.
//   - write.go: Write/Marshal, writing the way Jupyter does (sorted keys,
//     one-space indent, multi-line strings as lists of lines), so a notebook
//     written here diffs cleanly against one saved by Jupyter.
//   - validate.go: Validate, the essentials of the nbformat 4.5 schema.
//   - lines.go: splitting text into lines exactly like Python's str.splitlines.
//
// The package uses only the standard library; it knows nothing about running
// cells (see package runner).
package notebook
