package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

// Config configures an Engine. Zero values pick sensible defaults.
type Config struct {
	GoBin   string       // go command; default: "go" on PATH, then $GOROOT/bin/go
	WorkDir string       // private workspace (0700); default: a new temp dir, removed by Close
	Logger  *slog.Logger // default: discard
	Race    bool         // build every cell with the race detector
	Timeout time.Duration
	Limits  Limits
}

// Engine runs Go cells. It implements interp.Interpreter.
//
// TODO(owner: engine pipeline): placeholder; replaced by the real pipeline.
type Engine struct{ cfg Config }

var _ interp.Interpreter = (*Engine)(nil)

// New prepares a workspace and starts warming the build cache in the background.
func New(ctx context.Context, cfg Config) (*Engine, error) { return &Engine{cfg: cfg}, nil }

func (e *Engine) Info() interp.Info { return interp.Info{LanguageName: "go"} }

func (e *Engine) Execute(ctx context.Context, req interp.ExecuteRequest, out interp.Output) (*interp.ExecuteResult, error) {
	return nil, errors.New("engine not built yet")
}

func (e *Engine) IsComplete(code string) interp.IsCompleteResult {
	return interp.IsCompleteResult{Status: "unknown"}
}

func (e *Engine) Complete(ctx context.Context, code string, cursor int) interp.Completion {
	return interp.Completion{CursorStart: cursor, CursorEnd: cursor}
}

func (e *Engine) Inspect(ctx context.Context, code string, cursor, detail int) interp.Inspection {
	return interp.Inspection{}
}

func (e *Engine) Close() error { return nil }
