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
		Usage: "install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--prebuilt std|lessons|none] [--no-warm]",
		Short: "install the kernelspec so Jupyter offers Go (gokernel)",
		Run:   installCommand,
	})
}

// installCommand writes the kernelspec, then makes sure the first cell in
// Jupyter does not pay for compiling the standard library: an install for
// every user of the machine (--prefix, --sys-prefix) prebuilds the packages
// lessons use (--prebuilt std: the whole standard library), plain and
// race-built, into the kernelspec's prebuilt/ directory, read-only to all,
// and names it in the kernelspec's env (each user's kernel links against
// it); a --user install warms the user's own Go build cache instead. The
// kernelspec is usable even if this fails or is skipped (Ctrl-C is fine).
func installCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("install", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	user := fs.Bool("user", false, "install for the current user (default)")
	sysPrefix := fs.Bool("sys-prefix", false, "install into the Python environment's prefix (sys.prefix/share/jupyter)")
	prefix := fs.String("prefix", "", "install into DIR/share/jupyter")
	name := fs.String("name", install.DefaultName, "kernelspec name")
	noWarm := fs.Bool("no-warm", false, "do not warm the Go build cache nor prebuild")
	prebuilt := fs.String("prebuilt", "", "prebuild for all users: std (the whole standard library), lessons (what lessons import), none; default lessons for --prefix and --sys-prefix, none for --user")
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
	if *prebuilt == "" {
		*prebuilt = "none"
		if opts.Scope != install.User {
			*prebuilt = "lessons"
		}
	}
	switch *prebuilt {
	case "std", "lessons", "none":
	default:
		fmt.Fprintf(os.Stderr, "gokernel install: --prebuilt %q: want std, lessons or none\n", *prebuilt)
		return errUsage
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
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(os.Getenv("GOKERNEL_LOG"))}))
	if *prebuilt != "none" {
		return prebuildInstall(ctx, opts, dir, *prebuilt == "lessons", log)
	}
	fmt.Println("warming the Go build cache (first cells will be fast; Ctrl-C skips this)...")
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

// prebuildInstall prepares the shared prebuilt library in the kernelspec
// directory dir and rewrites the kernelspec to name it.
func prebuildInstall(ctx context.Context, opts install.Options, dir string, lessons bool, log *slog.Logger) error {
	what := "the standard library (plain and race-built, a few minutes on 2 cores)"
	if lessons {
		what = "the packages lessons use (plain and race-built)"
	}
	fmt.Printf("prebuilding %s for every user (Ctrl-C skips this)...\n", what)
	prebuiltDir := filepath.Join(dir, "prebuilt")
	report, err := engine.Prebuild(ctx, engine.PrebuildOptions{Dir: prebuiltDir, Lessons: lessons, Logger: log})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Println("prebuilding skipped")
			return nil
		}
		fmt.Fprintf(os.Stderr, "warning: prebuilding failed (the kernel still works; each user's first cells will be slower): %v\n", err)
		return nil
	}
	if report.RaceErr != nil {
		fmt.Fprintf(os.Stderr, "warning: no race-built library (%%race cells will build it per user): %v\n", report.RaceErr)
	}
	opts.Env = map[string]string{engine.EnvPrebuilt: prebuiltDir}
	if _, err := install.Install(ctx, opts); err != nil {
		return err
	}
	if report.Unchanged {
		fmt.Printf("prebuilt library already in place (%d packages, %d race-built) in %s\n", report.Packages, report.RacePackages, report.Dir)
	} else {
		fmt.Printf("prebuilt %d packages (%d race-built), %.0f MB, in %s, read-only to all users\n",
			report.Packages, report.RacePackages, float64(report.Bytes)/(1<<20), report.Dir)
	}
	fmt.Println("done")
	return nil
}
