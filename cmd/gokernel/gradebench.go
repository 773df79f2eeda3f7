package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/gokernel/gokernel/kernel/grade/class"
)

func init() {
	register(&command{
		Name:  "gradebench",
		Usage: "gradebench [-n 200] [-source ASSIGNMENT.ipynb] [-j N] [-shards 2] [-timeout 10s] [-dir DIR] [-o gradebench.json]",
		Short: "measure grading a generated class (right, wrong and hostile submissions), whole and in merged shards",
		Run:   gradeBenchCommand,
	})
}

func gradeBenchCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gradebench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	students := fs.Int("n", 200, "submissions in the class")
	source := fs.String("source", "notebooks/assignments/02-worker-pool.ipynb", "the assignment, with solutions")
	workers := fs.Int("j", runtime.NumCPU(), "submissions graded at once by each gokernel grade")
	shards := fs.Int("shards", 2, "also grade the class in this many shards, one after another, and merge them")
	timeout := fs.Duration("timeout", 10*time.Second, "gokernel grade --timeout: the limit per cell, which the endless loops run into")
	dir := fs.String("dir", "", "keep the class, results files and CSVs in this folder (default: a temporary one, removed)")
	out := fs.String("o", "gradebench.json", "write the figures as JSON to this file (empty: none)")
	quiet := fs.Bool("q", false, "do not show the grade commands' progress")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return &flagHelpError{fs}
		}
		return err
	}
	if fs.NArg() > 0 || *students < 1 {
		return errUsage
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the gokernel binary: %w", err)
	}
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return err
		}
	}
	cfg := class.Config{Exe: exe, Source: *source, Students: *students, Workers: *workers, Shards: *shards, Timeout: *timeout, Dir: *dir, Progress: os.Stderr}
	if *quiet {
		cfg.Progress = nil
	}
	res, err := class.Bench(ctx, cfg)
	if err != nil {
		return err
	}
	if err := res.WriteTable(os.Stdout); err != nil {
		return err
	}
	if *out != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "gradebench: wrote %s\n", *out)
	}
	if len(res.Mismatches) > 0 || !res.MergedCSVIdentical {
		return fmt.Errorf("%d submissions not graded as planned; grades merged from the shards identical to the whole run's: %v",
			len(res.Mismatches), res.MergedCSVIdentical)
	}
	return nil
}
