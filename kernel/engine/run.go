package engine

import (
	"context"
	"errors"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

// runSpec says how to run one built cell program.
type runSpec struct {
	Binary     string
	Dir        string   // working directory of the program
	Env        []string // full environment of the program
	AllowStdin bool
	Race       bool          // binary was built with -race
	Timeout    time.Duration // 0: no timeout
	Limits     Limits
}

// Limits bound what one cell may use. Zero means no limit.
type Limits struct {
	Memory int64         // bytes of address space
	Procs  int           // processes/threads of the user
	CPU    time.Duration // CPU time
	Output int64         // bytes of stdout+stderr shown before the rest is cut
}

// run runs a built program and streams what it prints to out. It returns the
// cell's value (from a wire.KindResult frame) or nil, and an error that is an
// *interp.Error for a panic, deadlock, interrupt, timeout, exceeded limit or
// non-zero exit.
//
// TODO(owner: run stage): placeholder signature; replaced by the real stage.
func run(ctx context.Context, spec runSpec, out interp.Output) (map[string]any, error) {
	return nil, errors.New("run stage not built yet")
}
