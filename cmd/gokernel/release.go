package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gokernel/gokernel/kernel/grade"
	"github.com/gokernel/gokernel/kernel/notebook"
)

func init() {
	register(&command{
		Name:  "release",
		Usage: "release SOURCE.ipynb -o STUDENT.ipynb",
		Short: "write the student version of an assignment (solutions stubbed, hidden tests removed)",
		Run:   releaseCommand,
	})
}

func releaseCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "where to write the student version")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 || *out == "" {
		return errUsage
	}
	src, err := notebook.ReadFile(positional[0])
	if err != nil {
		return err
	}
	student, err := grade.Release(src)
	if err != nil {
		return fmt.Errorf("%s: %w", positional[0], err)
	}
	if err := notebook.WriteFile(*out, student); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", *out)
	return nil
}
