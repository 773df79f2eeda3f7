package engine

import (
	"context"
	"os/exec"
)

// aheadNice is the nice value of the compiler and linker of a build ahead
// of its turn (lookahead.go): the cell running meanwhile may be timing
// itself on every core (lesson 6 measures speed-ups), and a build it did
// not ask for must take only CPU time it leaves idle. Not 19: when the
// cell's turn comes it waits for that build, which then competes with the
// other users of a shared machine.
const aheadNice = 10

type backgroundKey struct{}

// inBackground marks ctx as the context of a build ahead: its tools run at
// aheadNice.
func inBackground(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

func isBackground(ctx context.Context) bool {
	v, _ := ctx.Value(backgroundKey{}).(bool)
	return v
}

// runTool runs cmd to the end and returns its combined output, at low
// priority for a build ahead.
func runTool(ctx context.Context, cmd *exec.Cmd) ([]byte, error) {
	if !isBackground(ctx) {
		return cmd.CombinedOutput()
	}
	return runNiced(cmd, aheadNice)
}
