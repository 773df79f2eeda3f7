package kerneltest

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/interp"
)

// event is one thing a cell sent to the notebook.
type event struct {
	kind    string // "stdout", "stderr", "display", "clear"
	text    string
	display interp.Display
	wait    bool
}

// recorder is an interp.Output keeping events in order; consecutive stream
// text of one name is merged, as a notebook shows it.
type recorder struct {
	mu     sync.Mutex
	events []event
}

func (r *recorder) Stream(name, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.events); n > 0 && r.events[n-1].kind == name {
		r.events[n-1].text += text
		return
	}
	r.events = append(r.events, event{kind: name, text: text})
}

func (r *recorder) Display(d interp.Display) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{kind: "display", display: d})
}

func (r *recorder) ClearOutput(wait bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{kind: "clear", wait: wait})
}

func (r *recorder) Input(ctx context.Context, prompt string, password bool) (string, error) {
	return "", interp.ErrNoStdin
}

// kernel runs cells one after another in one engine, as a notebook does.
type kernel struct {
	t     *testing.T
	e     *engine.Engine
	count int
}

func newKernel(t *testing.T) *kernel {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles and runs cells: skipped with -short")
	}
	e, err := engine.New(context.Background(), engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	k := &kernel{t: t, e: e}
	// The first cell of a kernel may print the build-cache notice on
	// stderr; keep it out of the cells under test.
	k.run("_ = 0")
	return k
}

// run executes code and returns its events and result; a failing cell
// fails the test.
func (k *kernel) run(code string) ([]event, *interp.ExecuteResult) {
	k.t.Helper()
	k.count++
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rec recorder
	res, err := k.e.Execute(ctx, interp.ExecuteRequest{Code: code, Count: k.count}, &rec)
	if err != nil {
		var ie *interp.Error
		if errors.As(err, &ie) {
			k.t.Fatalf("cell [%d] failed: %s: %s\n%s\n%+v", k.count, ie.Name, ie.Value, strings.Join(ie.Traceback, "\n"), rec.events)
		}
		k.t.Fatalf("cell [%d]: kernel fault: %v", k.count, err)
	}
	return rec.events, res
}

// stdout returns all the cell's stdout text.
func stdout(events []event) string {
	var b strings.Builder
	for _, e := range events {
		if e.kind == "stdout" {
			b.WriteString(e.text)
		}
	}
	return b.String()
}

func TestDisplayThroughKernel(t *testing.T) {
	k := newKernel(t)

	t.Run("MIME bundles", func(t *testing.T) {
		events, _ := k.run(`
nb.HTML("<b>h</b>")
nb.Markdown("*m*")
nb.SVG("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
nb.PNG([]byte{1, 2, 3})
nb.JPEG([]byte{4})
nb.JSON(map[string]int{"n": 1})
nb.Text("plain")
`)
		want := []struct{ mime, content string }{
			{"text/html", "<b>h</b>"},
			{"text/markdown", "*m*"},
			{"image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"/>`},
			{"image/png", "AQID"},
			{"image/jpeg", "BA=="},
			{"application/json", "map[n:1]"},
			{"text/plain", "plain"},
		}
		if len(events) != len(want) {
			t.Fatalf("events: have %d %+v, want %d displays", len(events), events, len(want))
		}
		for i, w := range want {
			d := events[i].display
			if events[i].kind != "display" || fmt.Sprint(d.Data[w.mime]) != w.content {
				t.Errorf("display %d: have %s %v, want %s=%s", i, events[i].kind, d.Data, w.mime, w.content)
			}
			if _, ok := d.Data["text/plain"]; !ok {
				t.Errorf("display %d: no text/plain fallback in %v", i, d.Data)
			}
		}
	})

	t.Run("order with printed text", func(t *testing.T) {
		events, _ := k.run(`
fmt.Println("A")
nb.HTML("B")
fmt.Println("C")
nb.ClearOutput(true)
fmt.Println("D")
`)
		var have []string
		for _, e := range events {
			switch e.kind {
			case "display":
				have = append(have, "display:"+fmt.Sprint(e.display.Data["text/html"]))
			case "clear":
				have = append(have, fmt.Sprint("clear:", e.wait))
			default:
				have = append(have, e.kind+":"+e.text)
			}
		}
		want := []string{"stdout:A\n", "display:B", "stdout:C\n", "clear:true", "stdout:D\n"}
		if strings.Join(have, "|") != strings.Join(want, "|") {
			t.Errorf("have %q, want %q", have, want)
		}
	})

	t.Run("handle update", func(t *testing.T) {
		events, _ := k.run(`
h := nb.NewDisplay("step 1")
h.Update(nb.Bundle{"text/html": "<i>step 2</i>", "text/plain": "step 2"})
`)
		if len(events) != 2 {
			t.Fatalf("events: have %+v, want 2 displays", events)
		}
		first, second := events[0].display, events[1].display
		if first.DisplayID == "" || first.Update || first.Data["text/plain"] != `"step 1"` {
			t.Errorf("first: have %+v, want a display with an id", first)
		}
		if !second.Update || second.DisplayID != first.DisplayID || second.Data["text/html"] != "<i>step 2</i>" {
			t.Errorf("update: have %+v, want an update of %q", second, first.DisplayID)
		}
	})

	t.Run("rich trailing value", func(t *testing.T) {
		_, res := k.run(`
type score int

func (s score) HTML() string { return fmt.Sprintf("<b>%d</b>", int(s)) }

score(7)
`)
		if res == nil || res.Data["text/html"] != "<b>7</b>" || res.Data["text/plain"] != "7" {
			t.Errorf("result: have %+v, want text/html <b>7</b> and text/plain 7", res)
		}
	})

	t.Run("progress bar from many goroutines", func(t *testing.T) {
		events, _ := k.run(`
p := nb.NewProgress(8000)
var wg sync.WaitGroup
for range 8 {
	wg.Go(func() {
		for range 1000 {
			p.Add(1)
		}
	})
}
wg.Wait()
p.Done()
`)
		if len(events) < 2 || len(events) > 30 {
			t.Fatalf("events: have %d, want the bar, a few updates and the final state", len(events))
		}
		last := events[len(events)-1].display
		if !last.Update || last.DisplayID != events[0].display.DisplayID || !strings.Contains(fmt.Sprint(last.Data["text/plain"]), "8000/8000 100%") {
			t.Errorf("final state: have %+v, want an update showing 8000/8000 100%%", last)
		}
	})
}

func TestProcessesThroughKernel(t *testing.T) {
	k := newKernel(t)
	k.run(`
var counter = 1

func setCounter(v int) {
	counter = v
	fmt.Println("child sees", counter)
}

func exitWith(code int) { os.Exit(code) }

type item struct{ Producer, Seq int }

func produce(q *nb.Queue[item], id, n int) error {
	for i := range n {
		if err := q.Put(item{id, i}); err != nil {
			return err
		}
	}
	return nil
}
`)

	t.Run("isolation", func(t *testing.T) {
		events, _ := k.run(`
p := nb.Process(setCounter, 42)
if err := p.Start(); err != nil {
	panic(err)
}
fmt.Println("join:", p.Join())
fmt.Println("parent sees", counter)
`)
		want := "child sees 42\njoin: <nil>\nparent sees 1\n"
		if have := stdout(events); have != want {
			t.Errorf("stdout: have %q, want %q", have, want)
		}
	})

	t.Run("exit status", func(t *testing.T) {
		events, _ := k.run(`
err := nb.Run(exitWith, 7)
var exit *nb.ExitError
fmt.Println(errors.As(err, &exit), exit.Code)
`)
		if have, want := stdout(events), "true 7\n"; have != want {
			t.Errorf("stdout: have %q, want %q", have, want)
		}
	})

	t.Run("panic in a child shows cell lines, not the runtime's trace", func(t *testing.T) {
		events, _ := k.run(`
func panicky() {
	panic("child boom")
}
fmt.Println(nb.Run(panicky) != nil)
`)
		var stderr strings.Builder
		for _, e := range events {
			if e.kind == "stderr" {
				stderr.WriteString(e.text)
			}
		}
		wantLine := fmt.Sprintf("cell [%d] line 3  in panicky", k.count)
		if have := stderr.String(); !strings.Contains(have, "panic: child boom") || !strings.Contains(have, wantLine) ||
			strings.Contains(have, "reflect.") || strings.Contains(have, "/kernel/nb/") {
			t.Errorf("stderr: have %q, want the panic value and %q without reflect or nb frames", have, wantLine)
		}
		if have, want := stdout(events), "true\n"; have != want {
			t.Errorf("stdout: have %q, want %q", have, want)
		}
	})

	t.Run("queue, 10 000 items from two processes", func(t *testing.T) {
		events, _ := k.run(`
q := nb.NewQueue[item]()
var procs []*nb.Proc
for id := range 2 {
	p, err := nb.Start(produce, q, id, 5000)
	if err != nil {
		panic(err)
	}
	procs = append(procs, p)
}
go func() {
	for _, p := range procs {
		if err := p.Join(); err != nil {
			fmt.Println("producer:", err)
		}
	}
	q.Close()
}()
next := map[int]int{}
seen := map[item]bool{}
bad := 0
for it := range q.All() {
	if seen[it] || it.Seq != next[it.Producer] {
		bad++
	}
	seen[it] = true
	next[it.Producer] = it.Seq + 1
}
fmt.Println(len(seen), next[0], next[1], bad)
`)
		if have, want := stdout(events), "10000 5000 5000 0\n"; have != want {
			t.Errorf("received, next per producer, duplicates or out of order: have %q, want %q", have, want)
		}
	})
}

func TestTimelineThroughKernel(t *testing.T) {
	k := newKernel(t)
	_, res := k.run(`
tl := nb.NewTimeline()
var mu sync.Mutex
var wg sync.WaitGroup
for i := range 5 {
	wg.Go(func() {
		l := tl.Lane(fmt.Sprint("worker ", i))
		l.Lock(&mu)
		time.Sleep(time.Millisecond)
		l.Unlock(&mu)
		l.Done()
	})
}
wg.Wait()
tl
`)
	if res == nil {
		t.Fatal("no execute_result for a trailing timeline")
	}
	svg, ok := res.Data["image/svg+xml"].(string)
	if !ok {
		t.Fatalf("result: have %v, want image/svg+xml", res.Data)
	}
	dec := xml.NewDecoder(strings.NewReader(svg))
	lanes := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			var class, lane string
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "class":
					class = a.Value
				case "data-lane":
					lane = a.Value
				}
			}
			if class == "lane" {
				if lanes[lane] {
					t.Errorf("lane %q drawn twice", lane)
				}
				lanes[lane] = true
			}
		}
	}
	if len(lanes) != 5 {
		t.Errorf("lanes: have %d %v, want 5 (one per goroutine)", len(lanes), lanes)
	}
}
