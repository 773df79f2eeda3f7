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
	"syscall"
	"time"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/install"
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
// shutdown_reply must leave before the process does (ZMQ_LINGER's job in libzmq).
const iopubLinger = 100 * time.Millisecond

// kernelCommand serves one kernel until shutdown_request, SIGTERM or the
// death of the process that started it.
//
// Start-up order matters for the time to kernel_info_reply: the sockets are
// bound first (a client that connects before the bind waits for its
// reconnect interval), then the engine is created, which only looks up the
// toolchain and warms the build cache in the background.
func kernelCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("kernel", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	connFile := fs.String("connection-file", "", "connection file written by Jupyter")
	fs.StringVar(connFile, "f", "", "short for --connection-file")
	if err := fs.Parse(args); err != nil || *connFile == "" || fs.NArg() > 0 {
		return errUsage
	}
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
	socks, err := transport.Listen(ctx, info, log)
	if err != nil {
		return err
	}
	defer socks.Close()

	eng, err := engine.New(ctx, engine.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("starting the Go engine: %w", err)
	}
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

	log.Info("kernel started", "conn", socks.Info(), "pid", os.Getpid())
	err = srv.Serve(ctx)
	time.Sleep(iopubLinger)
	if errors.Is(err, context.Canceled) {
		err = nil // SIGTERM or parent death: a clean stop
	}
	return err
}

// logLevel maps GOKERNEL_LOG (debug, info, warn, error) to a level; Info by default.
func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return slog.LevelInfo
	}
	return l
}
