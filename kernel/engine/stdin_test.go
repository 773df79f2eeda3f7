package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

const stdinProgram = `//line cell8.go:1:1
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	var name string
	fmt.Print("Name: ")
	_, err := fmt.Scanln(&name)
	fmt.Println("hello", name, err)
	fmt.Print("Age: ")
	var age int
	fmt.Scan(&age)
	fmt.Println("age", age)
	fmt.Println("now a line")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	fmt.Printf("line %q %v\n", line, err)
}
`

const passwordProgram = `//line cell9.go:1:1
package main

import (
	"fmt"
)

func main() {
	// What nb.Password does: announce the read with an input frame, then read.
	fmt.Print("\x1b]gokernel;{\"kind\":\"input\",\"prompt\":\"Password: \",\"password\":true}\x07")
	var pw string
	fmt.Scanln(&pw)
	fmt.Println("length", len(pw))
}
`

const childStdinProgram = `//line cell18.go:1:1
package main

import (
	"os"
	"os/exec"
)

func main() {
	// A child process reading the cell's stdin: head copies one line.
	cmd := exec.Command("head", "-n", "1")
	cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
	cmd.Run()
}
`

func TestRunStdin(t *testing.T) {
	dir := t.TempDir()
	bin := buildProgram(t, dir, "stdin", stdinProgram, false)
	pw := buildProgram(t, dir, "password", passwordProgram, false)
	child := buildProgram(t, dir, "child", childStdinProgram, false)

	t.Run("child process reads", func(t *testing.T) {
		out := &recordingOutput{Answers: []string{"from the child"}}
		if _, err := run(context.Background(), runSpec{Binary: child, AllowStdin: true}, out); err != nil {
			t.Fatal(err)
		}
		if got := out.text("stdout"); got != "from the child\n" {
			t.Errorf("stdout: have %q, want %q", got, "from the child\n")
		}
	})

	t.Run("answered", func(t *testing.T) {
		out := &recordingOutput{Answers: []string{"Ada", "42", "the rest"}}
		if _, err := run(context.Background(), runSpec{Binary: bin, AllowStdin: true}, out); err != nil {
			t.Fatal(err)
		}
		var prompts []string
		for _, e := range out.eventsOf("input") {
			prompts = append(prompts, e.Text)
		}
		// Each prompt is shown once: as the input box's label, or, when the
		// stdout reader had not passed it on within promptDelivered's wait
		// (a very busy machine), as output just before the box. Which of
		// the two is timing; once, and the output around it, are not.
		stdout := out.text("stdout")
		if len(prompts) != 3 || prompts[2] != "" {
			t.Fatalf("prompts: have %q, want three input requests: Name: , Age: , and none for the line", prompts)
		}
		for i, p := range []string{"Name: ", "Age: "} {
			switch {
			case prompts[i] == p && !strings.Contains(stdout, p):
			case prompts[i] == "" && strings.Count(stdout, p) == 1:
				t.Logf("prompt %q came as output before the input box (the stdout reader was late)", p)
				stdout = strings.Replace(stdout, p, "", 1)
			default:
				t.Errorf("prompt %q: box label %q, stdout %q: want it shown once, in the box or the output", p, prompts[i], stdout)
			}
		}
		want := "hello Ada <nil>\nage 42\nnow a line\nline \"the rest\\n\" <nil>\n"
		if stdout != want {
			t.Errorf("stdout without the prompts: have %q, want %q", stdout, want)
		}
	})

	t.Run("not allowed", func(t *testing.T) {
		out := &recordingOutput{}
		start := time.Now()
		if _, err := run(context.Background(), runSpec{Binary: bin, AllowStdin: false}, out); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("a refused read took %s to get end of file", d)
		}
		if n := len(out.eventsOf("input")); n != 0 {
			t.Errorf("have %d input requests, want none", n)
		}
		if got := out.text("stdout"); !strings.Contains(got, "hello  EOF") {
			t.Errorf("stdout %q: the read did not get EOF", got)
		}
		if got := out.text("stderr"); strings.Count(got, noStdinNote) != 1 {
			t.Errorf("stderr: have %q, want the note once", got)
		}
	})

	t.Run("frontend without stdin", func(t *testing.T) {
		out := &recordingOutput{NoStdin: true}
		if _, err := run(context.Background(), runSpec{Binary: bin, AllowStdin: true}, out); err != nil {
			t.Fatal(err)
		}
		if got := out.text("stderr"); !strings.Contains(got, noStdinNote) {
			t.Errorf("stderr: have %q, want the note", got)
		}
	})

	t.Run("unanswered prompt is interruptible", func(t *testing.T) {
		out := &recordingOutput{}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for len(out.eventsOf("input")) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		start := time.Now()
		_, err := run(ctx, runSpec{Binary: bin, AllowStdin: true}, out)
		e := cellError(t, err, "Interrupted")
		if tb := strings.Join(e.Traceback, "\n"); !strings.Contains(tb, "cell [8] line 12  in main") {
			t.Errorf("traceback does not show main waiting at the Scanln:\n%s", tb)
		}
		if !strings.HasSuffix(e.Value, ", while it waited for input") || !strings.HasSuffix(e.Traceback[0], ", while it waited for input") {
			t.Errorf("have %q / %q, want both to say the cell waited for input", e.Value, e.Traceback[0])
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %s", d)
		}
	})

	t.Run("password", func(t *testing.T) {
		out := &recordingOutput{Answers: []string{"secret"}}
		if _, err := run(context.Background(), runSpec{Binary: pw, AllowStdin: true}, out); err != nil {
			t.Fatal(err)
		}
		inputs := out.eventsOf("input")
		if len(inputs) != 1 || inputs[0].Text != "Password: " || len(out.Passwords) != 1 || !out.Passwords[0] {
			t.Fatalf("have inputs %+v passwords %v, want one password prompt %q", inputs, out.Passwords, "Password: ")
		}
		if got := out.text("stdout"); got != "length 6\n" {
			t.Errorf("stdout: have %q, want %q", got, "length 6\n")
		}
	})
}
