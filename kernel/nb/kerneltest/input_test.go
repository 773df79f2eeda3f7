package kerneltest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/interp"
)

// answering is a recorder that answers each input request with the next
// of its answers, and records the prompts and password flags it was asked.
type answering struct {
	recorder
	answers []string
	asked   []string // "prompt" or "prompt (password)"
}

func (a *answering) Input(ctx context.Context, prompt string, password bool) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if password {
		prompt += " (password)"
	}
	a.asked = append(a.asked, prompt)
	if len(a.answers) == 0 {
		return "", interp.ErrNoStdin
	}
	answer := a.answers[0]
	a.answers = a.answers[1:]
	return answer, nil
}

func TestInputThroughKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs cells: skipped with -short")
	}
	e, err := engine.New(context.Background(), engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := &answering{answers: []string{"Ada", "hunter2"}}
	code := `name, err := nb.Input("Your name: ")
check(err)
pw, err := nb.Password("Password: ")
check(err)
fmt.Println(name, len(pw))
`
	code += "func check(err error) { if err != nil { panic(err) } }\n"
	if _, err := e.Execute(ctx, interp.ExecuteRequest{Code: code, Count: 1, AllowStdin: true}, out); err != nil {
		t.Fatalf("cell failed: %v\n%+v", err, out.events)
	}
	if have, want := strings.Join(out.asked, "|"), "Your name: |Password:  (password)"; have != want {
		t.Errorf("asked: have %q, want %q", have, want)
	}
	if have, want := stdout(out.events), "Ada 7\n"; have != want {
		t.Errorf("stdout: have %q, want %q", have, want)
	}
	if s := fmt.Sprint(out.events); strings.Contains(s, "hunter2") {
		t.Errorf("the password shows in the output: %s", s)
	}
}
