package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gokernel/gokernel/kernel/coursedocs"
)

func init() {
	register(&command{
		Name:  "docs",
		Usage: "docs [-notebooks notebooks] [-o docs] [-all] [-check]",
		Short: "run every lesson and render it to HTML in docs/ (nbconvert), or check that docs/ is current",
		Run:   docsCommand,
	})
}

func docsCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	notebooks := fs.String("notebooks", "notebooks", "the folder with the lessons (NN-name.ipynb, zh/NN-name.ipynb)")
	out := fs.String("o", "docs", "the folder the pages go to")
	check := fs.Bool("check", false, "only check that the pages show the current lessons (runs nothing)")
	all := fs.Bool("all", false, "run and render every lesson, not only those changed since their page was made")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return &flagHelpError{fs}
		}
		return err
	}
	if fs.NArg() > 0 {
		return errUsage
	}
	if *check {
		if problems := coursedocs.Check(*notebooks, *out); len(problems) > 0 {
			return fmt.Errorf("%s is not current:\n  %s", *out, strings.Join(problems, "\n  "))
		}
		fmt.Fprintf(os.Stderr, "%s shows the current lessons\n", *out)
		return nil
	}
	nbconvert, err := coursedocs.FindNBConvert()
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the gokernel binary: %w", err)
	}
	cfg := coursedocs.Config{Exe: exe, NBConvert: nbconvert, Notebooks: *notebooks, Out: *out, All: *all, Progress: os.Stderr}
	if err := coursedocs.Build(ctx, cfg); err != nil {
		return err
	}
	if problems := coursedocs.Check(*notebooks, *out); len(problems) > 0 {
		return fmt.Errorf("the pages written do not pass the check:\n  %s", strings.Join(problems, "\n  "))
	}
	fmt.Fprintf(os.Stderr, "docs: wrote %s/index.html\n", *out)
	return nil
}
