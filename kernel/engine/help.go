package engine

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/gokernel/gokernel/kernel/interp"
)

// This file answers IPython's help forms: a cell that is only `fmt.Println?`,
// `?fmt.Println` (or with ??) returns the documentation as a "page" payload
// of the execute_reply, which notebooks show in their pager; `%doc NAME`
// prints the same text as the cell's output.

// errWantOneName is the usage error of magics that take one name.
var errWantOneName = errors.New("want one name")

// helpForm matches a whole cell asking for help: ?name, name?, name??.
var helpForm = regexp.MustCompile(`^\s*(\?{0,2})\s*([\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{N}_]*)*)\s*(\?{0,2})\s*$`)

// helpRequest reports whether code is a help request and for which name.
// `?` is no Go token, so such a cell can never be Go code.
func helpRequest(code string) (topic string, ok bool) {
	m := helpForm.FindStringSubmatch(code)
	if m == nil || (m[1] == "") == (m[3] == "") {
		return "", false // none, or both sides: not a help form
	}
	return m[2], true
}

// helpRunner answers a help request with a pager payload.
func helpRunner(topic string) func(ctx context.Context, e *Engine, out interp.Output) (*interp.ExecuteResult, error) {
	return func(ctx context.Context, e *Engine, out interp.Output) (*interp.ExecuteResult, error) {
		text, err := e.docText(ctx, topic)
		if err != nil {
			return nil, err
		}
		return &interp.ExecuteResult{Payload: []map[string]any{{
			"source": "page",
			"data":   map[string]any{"text/plain": text},
			"start":  0,
		}}}, nil
	}
}

// docText is the documentation of name (pkg, pkg.Name, a notebook name, a
// builtin) as Inspect gives it, or an *interp.Error saying none was found.
func (e *Engine) docText(ctx context.Context, name string) (string, error) {
	in := e.Inspect(ctx, name, len([]rune(name)), 0)
	if text, ok := in.Data["text/plain"].(string); ok && in.Found {
		return text, nil
	}
	return "", &interp.Error{Name: "NotFound", Value: "no documentation found for " + name,
		Traceback: []string{"NotFound: no documentation found for " + name,
			"Write a standard package (fmt), a package member (fmt.Println), a builtin (append), a name declared in an earlier cell, or a kept value (acct, acct.balance)."}}
}

// docMagic is %doc NAME: the documentation printed as the cell's output.
func docMagic(c *magicCall) error {
	name := strings.TrimSpace(c.Args)
	if name == "" || strings.ContainsAny(name, " \t") {
		return errWantOneName
	}
	c.Out.Effects = append(c.Out.Effects, func(ctx context.Context, e *Engine, out interp.Output) error {
		text, err := e.docText(ctx, name)
		if err != nil {
			return err
		}
		out.Stream("stdout", text)
		return nil
	})
	return nil
}
