package nb_test

import (
	"maps"
	"os"
	"testing"

	"github.com/gokernel/gokernel/kernel/nb"
	"github.com/gokernel/gokernel/kernel/nb/cellrt"
)

// TestMain makes the test binary behave like a cell program: it registers
// the functions child processes may run, exactly as the generated main
// does, so that nb.Process re-executes this binary and cellrt.Start
// dispatches to the function (and exits) instead of running the tests.
func TestMain(m *testing.M) {
	funcs := maps.Clone(nb.ChildFuncs)
	funcs["worker"] = worker
	funcs["producer"] = producer
	funcs["setTotal"] = setTotal
	funcs["failing"] = failing
	funcs["busy"] = busy
	funcs["sleepFor"] = sleepFor
	cellrt.Start(funcs)
	os.Exit(m.Run())
}
