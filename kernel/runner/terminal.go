package runner

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// TerminalInput returns an InputFunc that answers input requests by showing
// the prompt on prompts and reading a line from in. Lines are read by one
// background goroutine started on the first request, so a request abandoned
// on interrupt loses no line typed later. When in is a terminal, password
// prompts switch off its echo while the line is typed.
func TerminalInput(in io.Reader, prompts io.Writer) InputFunc {
	t := &terminalInput{in: in, prompts: prompts}
	return t.readLine
}

type terminalInput struct {
	in      io.Reader
	prompts io.Writer

	once  sync.Once
	lines chan lineOrErr
}

type lineOrErr struct {
	line string
	err  error
}

func (t *terminalInput) start() {
	t.lines = make(chan lineOrErr)
	go func() {
		r := bufio.NewReader(t.in)
		for {
			line, err := r.ReadString('\n')
			if line != "" || err == nil {
				t.lines <- lineOrErr{line: strings.TrimRight(line, "\r\n")}
			}
			if err != nil {
				t.lines <- lineOrErr{err: fmt.Errorf("reading the terminal: %w", err)}
				close(t.lines)
				return
			}
		}
	}()
}

func (t *terminalInput) readLine(ctx context.Context, prompt string, password bool) (string, error) {
	t.once.Do(t.start)
	fmt.Fprint(t.prompts, prompt)
	if f, ok := t.in.(*os.File); ok && password && IsTerminal(f) {
		if restore, err := disableEcho(f); err == nil {
			defer func() {
				restore()
				fmt.Fprintln(t.prompts) // the user's Enter was not echoed
			}()
		}
	}
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case l, ok := <-t.lines:
		if !ok {
			return "", io.EOF
		}
		return l.line, l.err
	}
}
