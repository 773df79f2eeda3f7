package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// envRole names the environment variable that tells a re-executed copy of
// this program which child role to play.
const envRole = "EXAMPLE_PROCESSES_ROLE"

// counter is a global: each process has its own copy.
var counter = 100

// roles are the functions a child process can run, by name (what Python's
// Process(target=f) passes implicitly).
var roles = map[string]func() int{
	// hello is the article's print_func.
	"hello": func() int {
		for range 5 {
			fmt.Println("Hello World!")
		}
		return 0
	},
	// increment changes the child's copy of counter.
	"increment": func() int {
		counter++
		fmt.Printf("child  pid %d: counter = %d\n", os.Getpid(), counter)
		return 0
	},
	// fail exits with status 3, like sys.exit(3) in a Python child.
	"fail": func() int {
		fmt.Fprintln(os.Stderr, "child: giving up")
		return 3
	},
}

// childRole runs the role named in the environment and reports ok=true, or
// reports ok=false when this process is not a child. main calls it first.
func childRole() (status int, ok bool) {
	name := os.Getenv(envRole)
	if name == "" {
		return 0, false
	}
	role, found := roles[name]
	if !found {
		fmt.Fprintf(os.Stderr, "unknown role %q\n", name)
		return 2, true
	}
	return role(), true
}

// child is a started child process (a started Process).
type child struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
}

// startChild starts this program again as a child playing role
// (p = Process(target=role); p.start()). It returns at once.
func startChild(ctx context.Context, role string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	c := &child{cmd: exec.CommandContext(ctx, self)}
	c.cmd.Env = append(os.Environ(), envRole+"="+role)
	c.cmd.Stdout = &c.stdout
	c.cmd.Stderr = os.Stderr
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start child %q: %w", role, err)
	}
	return c, nil
}

// join waits for the child to exit (p.join()) and returns what it printed
// and its exit status (p.exitcode). err is set only when waiting failed, not
// for a non-zero status.
func (c *child) join() (stdout string, exitCode int, err error) {
	err = c.cmd.Wait()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return c.stdout.String(), exitErr.ExitCode(), nil
	}
	if err != nil {
		return c.stdout.String(), -1, fmt.Errorf("wait for child: %w", err)
	}
	return c.stdout.String(), 0, nil
}

// run starts one child playing role and joins it.
func run(ctx context.Context, role string) (stdout string, exitCode int, err error) {
	c, err := startChild(ctx, role)
	if err != nil {
		return "", -1, err
	}
	return c.join()
}

func main() {
	if status, ok := childRole(); ok {
		os.Exit(status)
	}
	ctx := context.Background()
	if err := demo(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "processes:", err)
		os.Exit(1)
	}
}

// demo is what the parent does: two children joined, isolation, exit code.
func demo(ctx context.Context) error {
	// p1.start(); p2.start(); p1.join(); p2.join()
	p1, err := startChild(ctx, "hello")
	if err != nil {
		return err
	}
	p2, err := startChild(ctx, "hello")
	if err != nil {
		return err
	}
	for i, p := range []*child{p1, p2} {
		out, code, err := p.join()
		if err != nil {
			return err
		}
		fmt.Printf("p%d (pid %d) exited with %d and printed %d lines\n",
			i+1, p.cmd.Process.Pid, code, strings.Count(out, "\n"))
	}

	out, _, err := run(ctx, "increment")
	if err != nil {
		return err
	}
	fmt.Print(out)
	fmt.Printf("parent pid %d: counter = %d (the child changed its own copy)\n", os.Getpid(), counter)

	_, code, err := run(ctx, "fail")
	if err != nil {
		return err
	}
	fmt.Println("fail exited with status", code)
	return nil
}
