package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/engine/bincache"
	"github.com/gokernel/gokernel/kernel/install"
	"github.com/gokernel/gokernel/kernel/notebook"
	"github.com/gokernel/gokernel/kernel/runner"
)

func init() {
	register(&command{
		Name:  "install",
		Usage: "install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--prebuilt std|lessons|none] [--notebooks PATH]... [--no-warm]",
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
	var notebooks []string
	fs.Func("notebooks", "with a prebuilt library: run these notebooks (files, or directories of .ipynb files; repeatable) once now and keep their cells' binaries for every user, so a class's first Run All of them builds nothing", func(v string) error {
		notebooks = append(notebooks, v)
		return nil
	})
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
	if len(notebooks) > 0 && (*prebuilt == "none" || *noWarm) {
		fmt.Fprintln(os.Stderr, "gokernel install: --notebooks needs a prebuilt library (--prefix or --sys-prefix, or --prebuilt std or lessons)")
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
		return prebuildInstall(ctx, opts, dir, *prebuilt == "lessons", notebooks, log)
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
func prebuildInstall(ctx context.Context, opts install.Options, dir string, lessons bool, notebooks []string, log *slog.Logger) error {
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
	if len(notebooks) > 0 {
		if err := prebuildNotebooks(ctx, prebuiltDir, report.ClassBinDir(), notebooks, log); err != nil {
			fmt.Fprintf(os.Stderr, "warning: the notebooks' binaries were not all prebuilt (their cells build per user): %v\n", err)
		}
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

// prebuildNotebooks runs every code cell of the notebooks once, as a kernel
// of a class would (against the prebuilt library in prebuiltDir), keeping
// each cell's binary in the shared binary cache binDir. A student's kernel
// that composes the same program runs that binary instead of building it.
// Cells that fail are fine: only binaries of programs that built are kept.
func prebuildNotebooks(ctx context.Context, prebuiltDir, binDir string, paths []string, log *slog.Logger) error {
	files, err := notebookFiles(paths)
	if err != nil {
		return err
	}
	shared, err := bincache.OpenShared(binDir)
	if err != nil {
		return err
	}
	fmt.Printf("running %d notebooks once to prebuild their cells for every user...\n", len(files))
	var errs []error
	for _, f := range files {
		nb, err := notebook.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// The cells run in a scratch directory: what they write is not
		// left beside the installed notebooks.
		scratch, err := os.MkdirTemp("", "gokernel-install-")
		if err != nil {
			return err
		}
		eng, err := engine.New(ctx, engine.Config{Logger: log, Prebuilt: prebuiltDir, BinaryCache: shared, Timeout: time.Minute, Dir: scratch})
		if err != nil {
			os.RemoveAll(scratch)
			return err
		}
		_, err = runner.Run(ctx, eng, nb, runner.Options{AllowErrors: true, Timeout: 2 * time.Minute, Logger: log})
		eng.Close()
		os.RemoveAll(scratch)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
		}
	}
	entries, _ := os.ReadDir(binDir)
	var size int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			size += fi.Size()
		}
	}
	fmt.Printf("%d cell binaries, %.0f MB, in %s, read-only to all users\n", len(entries), float64(size)/(1<<20), binDir)
	return errors.Join(errs...)
}

// notebookFiles expands directories into the .ipynb files below them
// (checkpoints left out), in a stable order.
func notebookFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(name string, d iofs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".ipynb_checkpoints" {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(name, ".ipynb") {
				files = append(files, name)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}
