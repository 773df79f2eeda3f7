package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/nb/keep"
)

// This file holds the magics that read or change the notebook's state, the
// IPython way: %who lists the remembered declarations, %reset forgets them
// (or one), %env reads and sets environment variables of the kernel (cells
// inherit them), %cd changes the cells' working directory, %%writefile
// writes the cell to a file. Their effects run when the cell executes, never
// when split is called for completion or inspection.

// whoMagic is %who: the remembered imports and declarations, with the cell
// each came from, and the kept values. For a value the cell it came from is
// the one whose := or var made it: the cell to read (or run again) to see
// where it starts. When a later cell changed it, that cell is named too
// ("changed in cell [7]"): what explains the value it holds now. A cell
// that only reads a value (hits * 2, len(xs), xs[0], printing it) leaves
// it unchanged; one that assigns it, takes its address, writes through it
// or hands a slice, map or pointer to a func counts as changing it
// (mayChange in values_refs.go).
func whoMagic(c *magicCall) error {
	if c.Args != "" {
		return errors.New("takes no arguments")
	}
	c.Out.Effects = append(c.Out.Effects, func(ctx context.Context, e *Engine, out interp.Output) error {
		out.Stream("stdout", e.who())
		return nil
	})
	return nil
}

// who formats what %who prints.
func (e *Engine) who() string {
	e.mu.RLock()
	decls := e.decls.clone()
	e.mu.RUnlock()
	if len(decls.Decls) == 0 && len(decls.Imports) == 0 && len(e.kept.Names()) == 0 {
		return "Nothing remembered yet: declarations (func, type, var, const) and the variables of cells that succeed are.\n"
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, imp := range decls.Imports {
		fmt.Fprintf(tw, "import\t%s\t%q\n", imp.localName(), imp.Path)
	}
	for _, d := range decls.Decls {
		name := strings.Join(d.Names, ", ")
		if d.Kind == "method" {
			name = d.Receiver + "." + d.Names[0]
		}
		fmt.Fprintf(tw, "%s\t%s\tcell [%d]\n", d.Kind, name, d.Cell)
	}
	tw.Flush()
	if names := e.kept.Names(); len(names) > 0 {
		fmt.Fprintf(&b, "\nKept values (%s of %s):\n", keep.FormatSize(e.kept.Total()), keep.FormatSize(e.kept.Max()))
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, name := range names {
			k, _ := e.kept.Lookup(name)
			made := madeIn(k)
			changed := ""
			if k.Cell != made {
				changed = fmt.Sprintf("\tchanged in cell [%d]", k.Cell)
			}
			fmt.Fprintf(tw, "value\t%s\t%s\tcell [%d]%s\n", name, cleanGenerated(typeAliasPattern.ReplaceAllString(k.Type, "")), made, changed)
		}
		tw.Flush()
	}
	return b.String()
}

// resetMagic is %reset (forget every remembered import and declaration) and
// %reset NAME (forget one: a declaration, a type with its methods, T.M, or
// an import by the name it binds).
func resetMagic(c *magicCall) error {
	names := strings.Fields(c.Args)
	if slices.Contains(names, "-f") { // IPython's "no confirmation": we never ask
		names = slices.DeleteFunc(names, func(s string) bool { return s == "-f" })
	}
	c.Out.Effects = append(c.Out.Effects, func(ctx context.Context, e *Engine, out interp.Output) error {
		msg, err := e.reset(names)
		if err != nil {
			return err
		}
		out.Stream("stdout", msg)
		return nil
	})
	return nil
}

// reset forgets names, or everything when names is empty.
func (e *Engine) reset(names []string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(names) == 0 {
		n := len(e.decls.Decls) + len(e.decls.Imports)
		e.decls = &declSet{}
		clear(e.sources)
		values := e.kept.Forget()
		e.keptVars, e.keptSnap = e.keptViews() // e.mu is held
		return fmt.Sprintf("Forgot %d remembered imports and declarations and %d kept values.\n", n, values), nil
	}
	next := e.decls.clone()
	var missing []string
	for _, name := range names {
		_, kept := e.kept.Lookup(name)
		found := next.forget(name) || kept
		before := len(next.Imports)
		next.Imports = slices.DeleteFunc(next.Imports, func(s importSpec) bool { return s.localName() == name || s.Path == name })
		if !found && len(next.Imports) == before {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		msg := "nothing remembered is called " + strings.Join(missing, ", ")
		return "", &interp.Error{Name: "NameError", Value: msg, Traceback: []string{"NameError: " + msg, "%who lists what is remembered."}}
	}
	e.decls = next
	e.pruneSources()
	e.kept.Forget(names...)
	e.keptVars, e.keptSnap = e.keptViews()
	return fmt.Sprintf("Forgot %s.\n", strings.Join(names, ", ")), nil
}

// envMagic is %env (list), %env NAME (show one) and %env NAME=value or
// %env NAME value (set; $VAR and ${VAR} in value are expanded, so
// %env PATH=/opt/bin:$PATH works). The variable is set in the kernel's
// environment, which every later cell and shell command inherits.
func envMagic(c *magicCall) error {
	args := c.Args
	var name, value string
	set := false
	if n, v, ok := strings.Cut(args, "="); ok && !strings.ContainsAny(strings.TrimSpace(n), " \t") {
		name, value, set = strings.TrimSpace(n), strings.TrimSpace(v), true
	} else if n, v, ok := strings.Cut(args, " "); ok {
		name, value, set = n, strings.TrimSpace(v), true
	} else {
		name = args
	}
	if set && name == "" {
		return errors.New("missing variable name")
	}
	c.Out.Effects = append(c.Out.Effects, func(ctx context.Context, e *Engine, out interp.Output) error {
		switch {
		case set:
			expanded := os.ExpandEnv(value)
			if err := os.Setenv(name, expanded); err != nil {
				return &interp.Error{Name: "EnvError", Value: err.Error(), Traceback: []string{"EnvError: " + err.Error()}}
			}
			out.Stream("stdout", fmt.Sprintf("env: %s=%s\n", name, expanded))
		case name == "":
			env := os.Environ()
			slices.Sort(env)
			out.Stream("stdout", strings.Join(env, "\n")+"\n")
		default:
			v, ok := os.LookupEnv(name)
			if !ok {
				msg := name + " is not set"
				return &interp.Error{Name: "EnvError", Value: msg, Traceback: []string{"EnvError: " + msg}}
			}
			out.Stream("stdout", v+"\n")
		}
		return nil
	})
	return nil
}

// cdMagic is %cd DIR: the working directory of later cells, shell lines
// and script magics (relative to the current one; ~ is the home
// directory; no DIR: the home directory). It prints the new directory.
func cdMagic(c *magicCall) error {
	arg := c.Args
	c.Out.Effects = append(c.Out.Effects, func(ctx context.Context, e *Engine, out interp.Output) error {
		dir, err := e.changeDir(arg)
		if err != nil {
			return &interp.Error{Name: "CdError", Value: err.Error(), Traceback: []string{"CdError: " + err.Error()}}
		}
		out.Stream("stdout", dir+"\n")
		return nil
	})
	return nil
}

// changeDir makes dir (resolved against the cells' current directory) the
// cells' working directory.
func (e *Engine) changeDir(dir string) (string, error) {
	home, _ := os.UserHomeDir()
	switch {
	case dir == "" || dir == "~":
		dir = home
	case strings.HasPrefix(dir, "~/"):
		dir = filepath.Join(home, dir[2:])
	}
	dir = os.ExpandEnv(dir)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(e.runDir(), dir)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	// Only Execute (one at a time) reads e.dir, through runDir.
	e.dir = dir
	return dir, nil
}

// writefileMagic is %%writefile [-a] FILE: the rest of the cell is written
// to FILE (relative to the cells' directory), or appended with -a.
func writefileMagic(c *magicCall) error {
	fields := strings.Fields(c.Args)
	appendTo := len(fields) > 0 && (fields[0] == "-a" || fields[0] == "--append")
	if appendTo {
		fields = fields[1:]
	}
	if len(fields) != 1 {
		return errors.New("want one file name")
	}
	name, body := fields[0], c.Body
	c.Out.Run = func(ctx context.Context, e *Engine, out interp.Output) (*interp.ExecuteResult, error) {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(e.runDir(), path)
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		verb := "Writing"
		if _, err := os.Stat(path); err == nil {
			verb = "Overwriting"
		}
		if appendTo {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
			verb = "Appending to"
		}
		f, err := os.OpenFile(path, flags, 0o644)
		if err == nil {
			_, err = f.WriteString(body)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return nil, &interp.Error{Name: "WriteError", Value: err.Error(), Traceback: []string{"WriteError: " + err.Error()}}
		}
		out.Stream("stdout", fmt.Sprintf("%s %s\n", verb, name))
		return nil, nil
	}
	return nil
}
