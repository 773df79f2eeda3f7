// Package grade releases assignments to students and grades their
// submissions, following nbgrader's conventions so an assignment also works
// in nbgrader, with no Python needed.
//
// An assignment is one notebook with solutions. Cells carry nbgrader
// metadata (grade_id, grade, solution, locked, points, schema_version);
// solution code sits between "// BEGIN SOLUTION" and "// END SOLUTION" and
// hidden tests between "// BEGIN HIDDEN TESTS" and "// END HIDDEN TESTS".
//
// Grading never trusts the submission for what is graded: locked cells and
// graded test cells (with their hidden tests and points) are taken from the
// source notebook, every cell runs under the engine's limits (and %limit or
// %timeout in a student's cell are removed), a student's cell that
// redeclares a predeclared name or a locked cell's name is not run, a test
// cell only earns its points if it runs to its last line, and each
// submission runs in a scratch copy of its directory.
//
// Files:
//   - markers.go: finding and rewriting the marked regions of a cell, and
//     Answer, filling them in as a student does.
//   - release.go: Release, the student version of an assignment, and
//     CheckSource, the checks on an assignment's metadata.
//   - assemble.go: the notebook that is actually graded (submission answers
//     plus the source's locked and test cells).
//   - grade.go: Grader and Grade, grading one submission.
//   - folder.go: GradeAll, grading many submissions in parallel.
//   - scratch.go: the scratch copy of a submission's directory.
//   - shadow.go: the package-level names a cell declares, to keep a
//     submission from redeclaring panic or a locked cell's names.
//   - report.go: Report, and its JSON and CSV forms.
//   - shard.go, results.go: a class split in shards (--shard I/N), the
//     results file each shard writes, and Merge, which puts them together.
package grade
