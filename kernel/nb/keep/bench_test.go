package keep

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkSaveLoadPointers is a value made of many small parts: 100 000
// accounts reached through pointers, each with its own slice, the kind of
// value whose every pointer and slice the region walk notes (see
// regions.go). Beside BenchmarkSaveLoad10MB (one region) it shows what the
// walk costs per part.
func BenchmarkSaveLoadPointers(b *testing.B) {
	dir := b.TempDir()
	accts := make([]*account, 100_000)
	for i := range accts {
		accts[i] = &account{owner: "a", balance: i, history: []int{i, i + 1}}
	}
	var out []*account
	for i := 0; b.Loop(); i++ {
		rep := saveGroups(dir, fmt.Sprint("s", i), 1<<30, []Var{{Name: "accts", Ptr: &accts}})
		if len(rep.Groups) != 1 {
			b.Fatal(rep.Failed)
		}
		if err := loadPlan(&Plan{Dir: dir, Groups: rep.Groups}, []Var{{Name: "accts", Ptr: &out}}); err != nil {
			b.Fatal(err)
		}
		os.Remove(dir + "/" + rep.Groups[0].File)
	}
}
