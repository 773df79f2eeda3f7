package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/notebook"
	"github.com/gokernel/gokernel/kernel/runner"
)

func init() {
	register(&command{
		Name:  "run",
		Usage: "run NOTEBOOK.ipynb [-o OUT.ipynb] [--timeout D] [--allow-errors]",
		Short: "run every code cell of a notebook in the terminal, without Jupyter",
		Run:   runCommand,
	})
}

// runCommand runs a notebook through the Go engine, printing each cell's
// output as it happens. Ctrl-C cancels ctx (see main), which interrupts the
// running cell; the cells run so far are still written with -o.
func runCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "write the executed notebook to this file")
	timeout := fs.Duration("timeout", 0, "interrupt a cell that runs longer than this (e.g. 30s); 0: no limit")
	allowErrors := fs.Bool("allow-errors", false, "keep running after a cell fails")
	verbose := fs.Bool("v", false, "log the engine's debug messages to stderr")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return errUsage
	}
	path := positional[0]

	nb, err := notebook.ReadFile(path)
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// The engine outlives ctx's cancellation on Ctrl-C: it must still be
	// able to report the interrupted cell and clean up.
	eng, err := engine.New(context.WithoutCancel(ctx), engine.Config{Logger: logger, BinaryCache: engine.UserBinaryCache(logger)})
	if err != nil {
		return fmt.Errorf("starting the Go engine: %w", err)
	}
	defer eng.Close()

	opts := runner.Options{
		Timeout:     *timeout,
		AllowErrors: *allowErrors,
		Echo:        os.Stdout,
		Logger:      logger,
	}
	if runner.IsTerminal(os.Stdin) {
		opts.Input = runner.TerminalInput(os.Stdin, os.Stdout)
	}
	start := time.Now()
	res, runErr := runner.Run(ctx, eng, nb, opts)

	if *out != "" {
		nb.EnsureIDs()
		nb.SetGoMetadata(eng.Info().LanguageVersion)
		if err := notebook.WriteFile(*out, nb); err != nil {
			return errors.Join(runErr, fmt.Errorf("writing %s: %w", *out, err))
		}
	}
	ran := 0
	if res != nil {
		ran = len(res.Cells)
	}
	fmt.Fprintf(os.Stderr, "\n%s: %d cells ran in %s", path, ran, time.Since(start).Round(time.Millisecond))
	if *out != "" {
		fmt.Fprintf(os.Stderr, ", wrote %s", *out)
	}
	fmt.Fprintln(os.Stderr)
	return runErr
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("run nb.ipynb -o out.ipynb"), which package flag
// alone does not allow. Its error is ready for main: a *flagHelpError for
// -h, else errUsage after printing what was wrong.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, &flagHelpError{fs}
		} else if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
