package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/install"
)

func init() {
	register(&command{
		Name:  "install",
		Usage: "install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--no-warm]",
		Short: "install the kernelspec so Jupyter offers Go (gokernel)",
		Run:   installCommand,
	})
}

// installCommand writes the kernelspec, then warms the Go build cache so
// the first cell in Jupyter does not pay for compiling the standard
// library. The kernelspec is usable even if warming fails or is skipped
// (Ctrl-C during warming is fine).
func installCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("install", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	user := fs.Bool("user", false, "install for the current user (default)")
	sysPrefix := fs.Bool("sys-prefix", false, "install into the Python environment's prefix (sys.prefix/share/jupyter)")
	prefix := fs.String("prefix", "", "install into DIR/share/jupyter")
	name := fs.String("name", install.DefaultName, "kernelspec name")
	noWarm := fs.Bool("no-warm", false, "do not warm the Go build cache")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	opts := install.Options{Scope: install.User, Name: *name}
	chosen := 0
	for _, set := range []bool{*user, *sysPrefix, *prefix != ""} {
		if set {
			chosen++
		}
	}
	if chosen > 1 {
		fmt.Fprintln(os.Stderr, "gokernel install: choose one of --user, --sys-prefix, --prefix")
		return errUsage
	}
	switch {
	case *sysPrefix:
		opts.Scope = install.SysPrefix
	case *prefix != "":
		opts.Scope, opts.Prefix = install.Prefix, *prefix
	}
	exe, err := install.Executable()
	if err != nil {
		return err
	}
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		fmt.Fprintf(os.Stderr, "warning: %s is a temporary `go run` binary; install a built binary instead (go install ./cmd/gokernel)\n", exe)
	}
	opts.Executable = exe
	dir, err := install.Install(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Printf("installed kernelspec %s in %s\n", filepath.Base(dir), dir)
	if *noWarm {
		return nil
	}
	fmt.Println("warming the Go build cache (first cells will be fast; Ctrl-C skips this)...")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(os.Getenv("GOKERNEL_LOG"))}))
	if err := engine.Warm(ctx, engine.Config{Logger: log}); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Println("warming skipped")
			return nil
		}
		fmt.Fprintf(os.Stderr, "warning: warming the build cache failed (the kernel still works; its first cell will be slower): %v\n", err)
		return nil
	}
	fmt.Println("done")
	return nil
}
