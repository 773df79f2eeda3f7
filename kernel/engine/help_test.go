package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/interp"
)

func TestHelpRequest(t *testing.T) {
	tests := []struct {
		code, topic string
		ok          bool
	}{
		{"fmt.Println?", "fmt.Println", true},
		{"?fmt.Println", "fmt.Println", true},
		{"  fmt.Println??\n", "fmt.Println", true},
		{"??sync.Mutex", "sync.Mutex", true},
		{"Größe?", "Größe", true},
		{"?x?", "", false},
		{"fmt.Println", "", false},
		{"fmt.Println(1)?", "", false},
		{"x := 1\nx?", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			topic, ok := helpRequest(tt.code)
			if topic != tt.topic || ok != tt.ok {
				t.Errorf("have %q, %v; want %q, %v", topic, ok, tt.topic, tt.ok)
			}
		})
	}
}

func TestHelpPagerAndDoc(t *testing.T) {
	e := newTestEngine(t)
	execCell(t, e, 1, "// Greet says hello to name.\nfunc Greet(name string) string { return \"hi \" + name }")
	tests := []struct {
		code    string
		page    []string // substrings of the pager text; nil: no payload
		stdout  []string
		errName string
	}{
		{code: "fmt.Println?", page: []string{"func Println(a ...any) (n int, err error)", "Println formats using the default formats"}},
		{code: "?fmt.Println", page: []string{"func Println(a ...any) (n int, err error)"}},
		{code: "sync.Mutex?", page: []string{"type Mutex struct", "A Mutex is a mutual exclusion lock"}},
		{code: "Greet?", page: []string{"Greet says hello to name.\nfunc Greet(name string) string"}},
		{code: "append?", page: []string{"func append(slice []Type, elems ...Type) []Type"}},
		{code: "%doc strings.Cut", stdout: []string{"func Cut(s, sep string) (before, after string, found bool)"}},
		{code: "nosuchthing?", errName: "NotFound"},
	}
	for i, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			var rec recordingOutput
			res, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: tt.code, Count: i + 2}, &rec)
			if tt.errName != "" {
				cellError(t, err, tt.errName)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.page != nil {
				if len(res.Payload) != 1 {
					t.Fatalf("have payload %v, want one page", res.Payload)
				}
				p := res.Payload[0]
				if p["source"] != "page" || p["start"] != 0 {
					t.Errorf("have payload %v, want source page, start 0", p)
				}
				text, _ := p["data"].(map[string]any)["text/plain"].(string)
				for _, want := range tt.page {
					if !strings.Contains(text, want) {
						t.Errorf("page: have %q, want %q", text, want)
					}
				}
			}
			for _, want := range tt.stdout {
				if have := rec.text("stdout"); !strings.Contains(have, want) {
					t.Errorf("stdout: have %q, want %q", have, want)
				}
			}
		})
	}
}
