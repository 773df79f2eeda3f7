package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/gokernel/gokernel/kernel/bench"
)

func init() {
	register(&command{
		Name:  "bench",
		Usage: "bench [-n 10] [-quick] [-o bench.json] [-only 1,2,...] [-cells 1000] [-flood-mb 100]",
		Short: "measure the kernel (start, cells, completion, output, memory) over ZeroMQ",
		Run:   runBench,
	})
}

func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	runs := fs.Int("n", 10, "measured runs per figure")
	quick := fs.Bool("quick", false, "trim the expensive figures so the whole run takes a few minutes")
	out := fs.String("o", "bench.json", "write the report as JSON to this file (empty: none)")
	only := fs.String("only", "", "comma-separated figures to measure (1..13); empty: all")
	cells := fs.Int("cells", 0, "cells for figure 9's RSS growth (default 1000, 100 with -quick)")
	floodMB := fs.Int("flood-mb", 100, "megabytes printed by figure 8's cell")
	verbose := fs.Bool("v", false, "log the client's warnings")
	python := fs.String("python", bench.DefaultPython, "python with jupyter_client and ipykernel, for figure 1's jupyter_client rows")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gokernel bench [flags]\n\nfigures:")
		for _, f := range bench.Figures {
			fmt.Fprintf(fs.Output(), "  %2s  %s\n", f.ID, f.What)
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errUsage
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the gokernel binary: %w", err)
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	cfg := bench.Config{
		Exe:      exe,
		Python:   *python,
		Runs:     *runs,
		Quick:    *quick,
		Cells:    *cells,
		FloodMB:  *floodMB,
		Progress: os.Stderr,
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	report, runErr := bench.Run(ctx, cfg)
	if report == nil {
		return runErr
	}
	if err := report.WriteTable(os.Stdout); err != nil {
		return err
	}
	if *out != "" {
		if err := report.WriteJSON(*out); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: wrote %s\n", *out)
	}
	return runErr
}
