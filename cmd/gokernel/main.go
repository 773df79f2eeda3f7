package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one gokernel subcommand.
type command struct {
	Name  string
	Usage string // one line: "install [--user | --sys-prefix | --prefix DIR]"
	Short string // one sentence for the command list
	// Run does the work. args are the arguments after the command name.
	// It returns an error instead of exiting; errUsage prints the usage.
	Run func(ctx context.Context, args []string) error
	// KeepSIGINT is true for commands that handle SIGINT themselves (the
	// kernel must never die of it); other commands are cancelled by it.
	KeepSIGINT bool
}

// errUsage asks main to print the command's usage and exit with status 2.
var errUsage = errors.New("usage")

// flagHelpError is what a command returns for -h: main prints the usage line
// and then the flags with their defaults, which the commands' flag sets do
// not print themselves (their output is discarded so that a parse error is
// reported once, by the command).
type flagHelpError struct{ flags *flag.FlagSet }

func (e *flagHelpError) Error() string { return flag.ErrHelp.Error() }
func (e *flagHelpError) Unwrap() error { return flag.ErrHelp }

var commands = map[string]*command{}

func register(c *command) { commands[c.Name] = c }

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "help" || name == "-h" || name == "--help" {
		usage()
		return
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "gokernel: unknown command %q\n\n", name)
		usage()
		os.Exit(2)
	}
	ctx := context.Background()
	if !c.KeepSIGINT {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	err := c.Run(ctx, os.Args[2:])
	switch {
	case err == nil:
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(os.Stderr, "usage: gokernel %s\n", c.Usage)
		if help, ok := errors.AsType[*flagHelpError](err); ok {
			fmt.Fprintln(os.Stderr, "\nflags:")
			help.flags.SetOutput(os.Stderr)
			help.flags.PrintDefaults()
		}
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "gokernel %s: %v\n", name, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "gokernel: a Jupyter kernel for Go\n\nusage: gokernel COMMAND [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].Short)
	}
}
