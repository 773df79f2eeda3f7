package engine

import "testing"

// Memory shared between kept values stays shared from cell to cell, as in
// one `go run`: slices of one array, pointers into an array, a struct or a
// slice (issue 12; the codec's side is kernel/nb/keep/regions.go). Each
// value is saved again after every cell that touches it, so the sharing is
// checked over several cells, some touching only one of the variables.
func TestValuesSharedMemory(t *testing.T) {
	runRegressSteps(t, []regressStep{
		{name: "a slice and a slice of it", code: "s := []int{1, 2, 3, 4}\nt := s[1:3]"},
		{name: "share the array", code: "t[0] = 9\nfmt.Println(s, len(t), cap(t))", stdout: "[1 9 3 4] 2 3\n"},
		{name: "append within the capacity writes into s", code: "t = append(t, 7)\nfmt.Println(s, &t[0] == &s[1])", stdout: "[1 9 3 7] true\n"},
		{name: "a cell that uses t alone", code: "t[1] = 8"},
		{name: "changed s", code: "s", result: "[1 9 8 7]"},
		{name: "pointers into an array, a struct and a slice",
			code: "type ledger struct {\n\tname  string\n\trows  [3]int\n\ttotal int\n}\narr := [4]int{1, 2, 3, 4}\np := &arr[2]\nst := ledger{name: \"l\"}\nq := &st.total\nrow := &st.rows[1]\nsl := []int{5, 6, 7}\nr := &sl[1]"},
		{name: "write where they point", code: "*p, *q, *row, *r = 30, 60, 20, 70\nfmt.Println(arr, st.total, st.rows, sl, p == &arr[2], q == &st.total, row == &st.rows[1], r == &sl[1])",
			stdout: "[1 2 30 4] 60 [0 20 0] [5 70 7] true true true true\n"},
		{name: "and still do a cell later", code: "*p++\n*q++\nfmt.Println(arr[2], st.total, p == &arr[2], q == &st.total)", stdout: "31 61 true true\n"},
		{name: "two variables holding one map and one pointer", code: "m := map[string]int{}\nm2 := m\nacc := &ledger{name: \"a\"}\nacc2 := acc"},
		{name: "share them", code: "m2[\"k\"] = 1\nacc2.total = 5"},
		{name: "over more cells", code: "m[\"k\"]++\nacc.total++"},
		{name: "both see it", code: "fmt.Println(m2[\"k\"], acc2.total, acc == acc2)", stdout: "2 6 true\n"},
	})
}
