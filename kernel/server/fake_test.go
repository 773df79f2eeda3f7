package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gokernel/gokernel/kernel/interp"
)

// fakeInterp is a hand-written Interpreter whose cells are commands:
//
//	print:TEXT   stream TEXT on stdout
//	stderr:TEXT  stream TEXT on stderr
//	value:TEXT   return TEXT as the cell's value
//	display      display_data with id "d1", then update_display_data of it
//	clear        clear_output(wait=true)
//	input        ask for a line and print it back
//	sleep        block until interrupted
//	fail         after 200 ms, fail with a cell error
//	kernelerr    fail with a plain error
//	panic        panic
type fakeInterp struct {
	mu       sync.Mutex
	executed []string
	counts   []int
	closed   bool
	started  chan string // receives each cell's code when it starts
	queued   []string    // each Queued call as "code#count code#count ..."
}

// Queued records what the server says is queued (interp.Lookahead).
func (f *fakeInterp) Queued(reqs []interp.ExecuteRequest) {
	var parts []string
	for _, r := range reqs {
		p := fmt.Sprintf("%s#%d", r.Code, r.Count)
		if r.Silent {
			p += "(silent)"
		}
		parts = append(parts, p)
	}
	f.mu.Lock()
	f.queued = append(f.queued, strings.Join(parts, " "))
	f.mu.Unlock()
}

func (f *fakeInterp) queuedCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queued...)
}

func newFakeInterp() *fakeInterp { return &fakeInterp{started: make(chan string, 100)} }

func (f *fakeInterp) Info() interp.Info {
	return interp.Info{Implementation: "fake", LanguageName: "go", LanguageVersion: "1.99",
		HelpLinks: []interp.HelpLink{{Text: "fake docs", URL: "https://example.invalid/fake"}}}
}

func (f *fakeInterp) Execute(ctx context.Context, req interp.ExecuteRequest, out interp.Output) (*interp.ExecuteResult, error) {
	f.mu.Lock()
	f.executed = append(f.executed, req.Code)
	f.counts = append(f.counts, req.Count)
	f.mu.Unlock()
	f.started <- req.Code
	cmd, arg, _ := strings.Cut(req.Code, ":")
	switch cmd {
	case "print":
		out.Stream("stdout", arg)
	case "stderr":
		out.Stream("stderr", arg)
	case "value":
		return &interp.ExecuteResult{Data: map[string]any{"text/plain": arg}, Payload: []map[string]any{{"source": "page", "data": map[string]any{"text/plain": "help"}}}}, nil
	case "display":
		out.Display(interp.Display{Data: map[string]any{"text/plain": "one"}, DisplayID: "d1"})
		out.Display(interp.Display{Data: map[string]any{"text/plain": "two"}, DisplayID: "d1", Update: true})
	case "clear":
		out.ClearOutput(true)
	case "input":
		line, err := out.Input(ctx, "name? ", false)
		if err != nil {
			return nil, &interp.Error{Name: "InputError", Value: err.Error()}
		}
		out.Stream("stdout", "hello "+line)
	case "sleep":
		select {
		case <-ctx.Done():
			return nil, &interp.Error{Name: "Interrupted", Value: "cell interrupted"}
		case <-time.After(30 * time.Second):
		}
	case "fail":
		time.Sleep(200 * time.Millisecond)
		return nil, &interp.Error{Name: "panic", Value: "boom", Traceback: []string{"panic: boom", "cell [1] line 1"}}
	case "kernelerr":
		return nil, errors.New("disk on fire")
	case "panic":
		panic("fake interpreter bug")
	}
	return nil, nil
}

func (f *fakeInterp) IsComplete(code string) interp.IsCompleteResult {
	if strings.Count(code, "{") > strings.Count(code, "}") {
		return interp.IsCompleteResult{Status: "incomplete", Indent: "\t"}
	}
	return interp.IsCompleteResult{Status: "complete"}
}

func (f *fakeInterp) Complete(ctx context.Context, code string, cursor int) interp.Completion {
	return interp.Completion{Matches: []string{"Println", "Printf"}, CursorStart: cursor - 3, CursorEnd: cursor}
}

func (f *fakeInterp) Inspect(ctx context.Context, code string, cursor, detail int) interp.Inspection {
	return interp.Inspection{Found: true, Data: map[string]any{"text/plain": "func Println(a ...any)"}}
}

func (f *fakeInterp) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

func (f *fakeInterp) snapshot() (executed []string, counts []int, closed bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.executed...), append([]int(nil), f.counts...), f.closed
}
