package engine

import (
	"strings"
	"testing"
)

// The counter of lesson 3 with the classic mistake: a value receiver
// copies the Counter, its mutex and count, so Inc changes a copy.
const valueReceiverCounter = `type Counter struct {
	mu sync.Mutex
	n  int
}

func (c Counter) Inc() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}
var c Counter
c.Inc()
fmt.Println(c.n)`

// Go vet's warnings come before the cell's output, name the cell and line
// of the user's code, and are said once: for the cell that declares the
// code, not again for each later cell that compiles with it.
func TestVetWarnings(t *testing.T) {
	e := newTestEngine(t)
	steps := []struct {
		name       string
		code       string
		stdout     string
		wantStderr []string // in this order
		noStderr   bool
		errPrefix  string
	}{
		{name: "value receiver", code: valueReceiverCounter, stdout: "0\n", wantStderr: []string{
			"vet: cell [1] line 6: Inc passes lock by value: Counter contains sync.Mutex — use a pointer receiver: func (c *Counter) Inc\n",
			"    func (c Counter) Inc() {\n",
			"(go vet's copylocks check; the cell runs anyway; %vet off silences vet)",
		}},
		{name: "remembered, not repeated", code: "var d Counter\nd.Inc()\nfmt.Println(\"later\")", stdout: "later\n", noStderr: true},
		{name: "a copy in this cell", code: "var e1 Counter\ne2 := e1\nfmt.Println(e2.n)", stdout: "0\n", wantStderr: []string{
			"vet: cell [3] line 2: assignment copies lock value to e2: Counter contains sync.Mutex\n",
		}},
		{name: "the fix", code: "func (c *Counter) Inc() {\n\tc.mu.Lock()\n\tc.n++\n\tc.mu.Unlock()\n}\nvar f Counter\nf.Inc()\nfmt.Println(f.n)", stdout: "1\n", noStderr: true},
		{name: "waitgroup by value", code: "func work(wg sync.WaitGroup) { wg.Done() }\nfmt.Println(\"declared\")", stdout: "declared\n", wantStderr: []string{
			"vet: cell [5] line 1: work passes lock by value: sync.WaitGroup contains sync.noCopy — pass a pointer: *sync.WaitGroup\n",
		}},
		{name: "a compile error: no vet noise", code: "type Box struct{ mu sync.Mutex }\nfunc (b Box) Peek() {}\nundefinedThing()", noStderr: true, errPrefix: "cell [6] line 3: undefined: undefinedThing"},
		{name: "vet off", code: "%vet off\ntype Gauge struct{ mu sync.Mutex }\nfunc (g Gauge) Read() {}\nfmt.Println(\"quiet\")", stdout: "quiet\n", noStderr: true},
		{name: "stays off", code: "var g1 Gauge\ng2 := g1\n_ = g2", noStderr: true},
		{name: "%vet for this cell", code: "%vet\nvar g3 Gauge\ng4 := g3\n_ = g4", wantStderr: []string{"vet: cell [9] line 3: assignment copies lock value to g4: Gauge contains sync.Mutex\n"}},
		{name: "vet on", code: "%vet on\nvar g5 Gauge\ng6 := g5\n_ = g6", wantStderr: []string{"vet: cell [10] line 3: assignment copies lock value to g6"}},
		{name: "showing a value copies it, quietly", code: "var h Gauge\nh", noStderr: true},
		{name: "a Printf verb of another type", code: "fmt.Printf(\"%d\\n\", \"str\")", stdout: "%!d(string=str)\n", wantStderr: []string{
			"vet: cell [12] line 1: fmt.Printf format %d has arg \"str\" of wrong type string\n",
			"(go vet's printf check; the cell runs anyway",
		}},
		{name: "a Printf in a func that shows the cell's value", code: "func twice(n int) string { return fmt.Sprintf(\"%d%d\", n, n) }\ntwice(4)", noStderr: true},
	}
	for i, st := range steps {
		got := execCell(t, e, i+1, st.code)
		t.Run(st.name, func(t *testing.T) {
			if st.errPrefix != "" {
				if got.Err == nil || !strings.HasPrefix(got.Err.Value, st.errPrefix) {
					t.Fatalf("error: have %+v, want evalue starting %q", got.Err, st.errPrefix)
				}
			} else if got.Err != nil {
				t.Fatalf("error: %+v", got.Err)
			}
			if got.Stdout != st.stdout {
				t.Errorf("stdout = %q, want %q", got.Stdout, st.stdout)
			}
			if st.noStderr && got.Stderr != "" {
				t.Errorf("stderr = %q, want nothing", got.Stderr)
			}
			rest := got.Stderr
			for _, w := range st.wantStderr {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stderr lacks %q (in order) in:\n%s", w, got.Stderr)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
