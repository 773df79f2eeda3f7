// Files:
//   - interp.go: the Interpreter interface, the Output a running cell writes
//     to, and the plain-data requests and answers that cross the seam.
package interp
