package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/install"
	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/jupyter"
	"github.com/gokernel/gokernel/kernel/server"
	"github.com/gokernel/gokernel/kernel/transport"
)

func init() {
	register(&command{
		Name:       "kernel",
		Usage:      "kernel --connection-file FILE",
		Short:      "serve Jupyter as a Go kernel (Jupyter runs this; see install)",
		Run:        kernelCommand,
		KeepSIGINT: true, // SIGINT interrupts the running cell, never the kernel
	})
}

// iopubLinger is how long the kernel waits after its last message before
// closing the sockets: zmq4's PUB sends from a queue, and the final idle and
// shutdown_reply must leave before the process does (ZMQ_LINGER's job in
// libzmq). The queue's writer takes them within microseconds; a subscriber
// too slow for 20 ms would not be helped by more. It is short because
// jupyter_client, after a shutdown_request, checks whether the process is
// gone every 100 ms: a kernel out within 100 ms saves a tenth of a second
// on every restart and every nbclient run (exit took 110–130 ms with a
// 100 ms linger: two polls, 215 ms).
const iopubLinger = 20 * time.Millisecond

// kernelCommand serves one kernel until shutdown_request, SIGTERM or the
// death of the process that started it.
//
// Start-up order matters for the time to kernel_info_reply (target 50 ms):
// the sockets are bound first (a client that connects before the bind
// waits for its reconnect interval, 100 ms in libzmq), then the engine
// starts beside the serving kernel and warms the build cache in the
// background; iopub messages published before the client's subscription
// arrives are held for it (transport/early.go).
func kernelCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("kernel", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	connFile := fs.String("connection-file", "", "connection file written by Jupyter")
	fs.StringVar(connFile, "f", "", "short for --connection-file")
	if err := fs.Parse(args); err != nil || *connFile == "" || fs.NArg() > 0 {
		return errUsage
	}
	start := time.Now()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(os.Getenv("GOKERNEL_LOG"))}))

	// Trap the signals before anything else: Go's default for SIGINT is to
	// exit, and jupyter_client may send one at any time.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	info, err := jupyter.ReadConnectionFile(*connFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Bind before any other start-up work: a client connecting before the
	// bind is refused and retries only after its reconnect interval (100 ms
	// in libzmq), and jupyter_client connects as soon as the process exists.
	// The engine (toolchain lookup: a `go env` process) starts after, while
	// the client connects; requests that need it wait for it.
	socks, err := transport.Listen(ctx, info, log)
	if err != nil {
		return err
	}
	defer socks.Close()
	log.Debug("startup", "phase", "listen", "dur", time.Since(start))
	eng := startEngine(ctx, log)

	historyPath := ""
	if dataDir, err := install.DataDir(); err == nil {
		historyPath = filepath.Join(dataDir, "gokernel", "history.jsonl")
	} else {
		log.Warn("history kept in memory only", "err", err)
	}
	srv, err := server.New(server.Config{
		Interpreter: eng, Transport: socks, Key: []byte(info.Key),
		HistoryPath: historyPath, Logger: log,
	})
	if err != nil {
		eng.Close()
		return err
	}

	go func() {
		for sig := range sigs {
			if sig == os.Interrupt {
				log.Info("SIGINT: interrupting the running cell")
				srv.Interrupt()
				continue
			}
			log.Info("signal: shutting down", "signal", sig.String())
			cancel()
		}
	}()
	go func() {
		server.WaitParentExit(ctx, time.Second)
		if ctx.Err() == nil {
			log.Info("parent process gone: shutting down")
			cancel()
		}
	}()

	log.Info("kernel started", "conn", socks.Info(), "pid", os.Getpid(), "dur", time.Since(start))
	err = srv.Serve(ctx)
	time.Sleep(iopubLinger)
	if errors.Is(err, context.Canceled) {
		err = nil // SIGTERM or parent death: a clean stop
	}
	return err
}

// pendingEngine is the Go engine while engine.New runs in the background:
// each method waits for it, then delegates. If the engine cannot start
// (no go command, a full disk), cells fail with that error as a KernelError
// and the kernel keeps answering everything else, so the user sees why; the
// next cell tries to start it again, so fixing the cause needs no restart.
type pendingEngine struct {
	ready chan struct{} // closed when the first start has ended
	cfg   engine.Config
	log   *slog.Logger

	mu  sync.Mutex // guards eng and err after ready
	eng *engine.Engine
	err error
}

var (
	_ interp.Interpreter = (*pendingEngine)(nil)
	_ interp.Lookahead   = (*pendingEngine)(nil)
)

// pipelineEnv turns off building queued cells ahead of their turn
// (GOKERNEL_PIPELINE=off): the baseline `gokernel bench` compares Run All
// against, and a way out should it ever misbehave.
const pipelineEnv = "GOKERNEL_PIPELINE"

func startEngine(ctx context.Context, log *slog.Logger) *pendingEngine {
	cfg := engine.Config{Logger: log, BinaryCache: engine.UserBinaryCache(log)}
	if v := strings.TrimSpace(os.Getenv(pipelineEnv)); v == "off" || v == "0" {
		cfg.Lookahead = -1
	}
	p := &pendingEngine{ready: make(chan struct{}), cfg: cfg, log: log}
	go func() {
		defer close(p.ready)
		start := time.Now()
		eng, err := engine.New(context.WithoutCancel(ctx), p.cfg)
		p.mu.Lock()
		p.eng, p.err = eng, err
		p.mu.Unlock()
		if err != nil {
			log.Error("the Go engine did not start; cells will fail until it can", "err", err)
			return
		}
		log.Debug("startup", "phase", "engine", "dur", time.Since(start))
	}()
	return p
}

// engine waits for the engine; nil when it failed to start or ctx ended.
func (p *pendingEngine) engine(ctx context.Context) *engine.Engine {
	select {
	case <-p.ready:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.eng
	case <-ctx.Done():
		return nil
	}
}

// retry starts the engine again after a failed start; cells call it, one
// at a time.
func (p *pendingEngine) retry(ctx context.Context) *engine.Engine {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eng != nil {
		return p.eng
	}
	p.eng, p.err = engine.New(ctx, p.cfg)
	if p.err != nil {
		p.log.Warn("the Go engine still does not start", "err", p.err)
	}
	return p.eng
}

// readyEngine bounds the wait of the methods that have no context: the
// engine's start-up is a toolchain lookup, far shorter than this.
func (p *pendingEngine) readyEngine() *engine.Engine {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return p.engine(ctx)
}

func (p *pendingEngine) startErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return fmt.Errorf("the Go engine did not start: %w", p.err)
	}
	return errors.New("the Go engine is not ready")
}

func (p *pendingEngine) Info() interp.Info {
	if e := p.readyEngine(); e != nil {
		return e.Info()
	}
	return interp.Info{} // the server fills in Go's defaults
}

func (p *pendingEngine) Execute(ctx context.Context, req interp.ExecuteRequest, out interp.Output) (*interp.ExecuteResult, error) {
	e := p.engine(ctx)
	if e == nil && ctx.Err() == nil {
		e = p.retry(ctx)
	}
	if e != nil {
		return e.Execute(ctx, req, out)
	}
	if ctx.Err() != nil {
		return nil, &interp.Error{Name: "Interrupted", Value: "interrupted while the Go engine was starting"}
	}
	return nil, p.startErr()
}

// Queued passes the queue on once the engine runs; before that there is
// nothing to build ahead with (the first cell waits for the engine too).
func (p *pendingEngine) Queued(reqs []interp.ExecuteRequest) {
	select {
	case <-p.ready:
	default:
		return
	}
	p.mu.Lock()
	e := p.eng
	p.mu.Unlock()
	if e != nil {
		e.Queued(reqs)
	}
}

func (p *pendingEngine) IsComplete(code string) interp.IsCompleteResult {
	if e := p.readyEngine(); e != nil {
		return e.IsComplete(code)
	}
	return interp.IsCompleteResult{Status: "unknown"}
}

func (p *pendingEngine) Complete(ctx context.Context, code string, cursor int) interp.Completion {
	if e := p.engine(ctx); e != nil {
		return e.Complete(ctx, code, cursor)
	}
	return interp.Completion{CursorStart: cursor, CursorEnd: cursor}
}

func (p *pendingEngine) Inspect(ctx context.Context, code string, cursor, detail int) interp.Inspection {
	if e := p.engine(ctx); e != nil {
		return e.Inspect(ctx, code, cursor, detail)
	}
	return interp.Inspection{}
}

func (p *pendingEngine) Close() error {
	if e := p.readyEngine(); e != nil {
		return e.Close()
	}
	return nil
}

// logLevel maps GOKERNEL_LOG (debug, info, warn, error) to a level; Warn by
// default. The kernel's stderr lands in the user's terminal (jupyter console)
// or the server's log, where routine lines are noise: only what needs a look.
func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return slog.LevelWarn
	}
	return l
}
