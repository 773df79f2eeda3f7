// Package coursedocs builds docs/, the course as web pages a code host
// serves: every lesson (English and 中文) executed by gokernel run and
// rendered to HTML by Jupyter's nbconvert, with an index. Each page records
// the SHA-256 of the notebook it was made from, so Check can tell, without
// running anything, whether docs/ is current.
//
// Files:
//   - lessons.go: Lessons, the lesson notebooks that exist.
//   - build.go: Build, running and rendering them, and the index page.
//   - page.go: what Build changes in nbconvert's page (the shared
//     stylesheet written once, scripts that point into the build machine's
//     disk, the source hash, a navigation line).
//   - check.go: Check, whether docs/ shows the current lessons.
package coursedocs
