// Package notebooks holds the course's lesson notebooks and the test that
// keeps them well-formed. It has no Go code of its own besides that test.
//
// Files:
//   - NN-*.ipynb: the English lessons; zh/NN-*.ipynb: the same lessons in 中文,
//     with the same code cells (only the text of their comments translated).
//   - src/NN-*.lesson: the source of each lesson (both languages); gen.go
//     (`go run ./notebooks/gen.go` from the repository root) writes the
//     notebooks from them with stable cell ids.
//   - lint_test.go: every notebook here is valid nbformat 4.5 for this kernel;
//     lessons carry no outputs; 中文 and English code cells match outside
//     comments; markdown tables stay intact; lesson
//     conventions (tagged %%python3 cells, expected errors, exercises).
//   - gofmt_test.go: the Go in every lesson's cells and solutions is as
//     gofmt formats it.
//   - run_test.go: runs every lesson with `gokernel run` and checks that each
//     cell succeeds, or fails with the error the lesson promises, and that
//     its program uses less than a second of CPU (a class runs it at once);
//     runs each checked exercise's check against the starting code (it must
//     fail, saying why) and against the solution (it must pass).
//   - demo.ipynb, assignments/: owned by other parts of the project; the
//     lint checks their format too.
package notebooks
