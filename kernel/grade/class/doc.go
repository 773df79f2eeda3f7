// Package class makes a class of submissions for an assignment and measures
// grading it, the way an instructor grades a whole course: correct answers,
// unattempted ones, known-wrong ones and hostile ones (an endless loop, a
// fork flood, a memory hog, a huge print, a panic), graded by the real
// gokernel grade command, whole and in shards that are then merged.
//
// Files:
//   - wrong.go: KnownWrong, answers to the course's assignments that are
//     wrong in a way a student's often is, with the score each must get and
//     the words its feedback must contain.
//   - generate.go: Kind, Mix and Generate, which writes a class folder.
//   - bench.go: Bench, which grades a generated class with gokernel grade
//     (one run, then shards and a merge) and reports the figures.
//   - proctree.go: peak resident memory of a process and its descendants.
package class
