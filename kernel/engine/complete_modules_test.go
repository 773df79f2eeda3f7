package engine

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/interp"
)

// TestCompleteThirdParty completes and inspects members of a module fetched
// by an earlier cell (needs the Go module proxy or errgroup in the cache).
func TestCompleteThirdParty(t *testing.T) {
	if os.Getenv("GOPROXY") == "off" {
		t.Skip("GOPROXY=off: this test fetches a module")
	}
	e := newTestEngine(t)
	var rec recordingOutput
	if _, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: errgroupCell, Count: 1}, &rec); err != nil {
		t.Fatalf("errgroup cell: %v\n%s", err, rec.text("stderr"))
	}
	tests := []struct {
		name, code string
		contains   []string
		wantStart  int
	}{
		{name: "package members", code: "errgroup.", contains: []string{"Group", "WithContext"}, wantStart: 9},
		{name: "package name", code: "errg", contains: []string{"errgroup"}, wantStart: 0},
		{name: "methods of a remembered var", code: "g.", contains: []string{"Go", "SetLimit", "TryGo", "Wait"}, wantStart: 2},
		{name: "methods of a := in this cell", code: "eg := &errgroup.Group{}\neg.W", contains: []string{"Wait"}, wantStart: 27},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cursor := utf8.RuneCountInString(tt.code)
			c := e.Complete(context.Background(), tt.code, cursor)
			for _, w := range tt.contains {
				if !slices.Contains(c.Matches, w) {
					t.Errorf("matches lack %q: %q", w, c.Matches)
				}
			}
			if c.CursorStart != tt.wantStart || c.CursorEnd != cursor {
				t.Errorf("cursor: have %d..%d, want %d..%d", c.CursorStart, c.CursorEnd, tt.wantStart, cursor)
			}
		})
	}
	// A new engine that has not run the import yet: the module cache has it.
	fresh := newTestEngine(t)
	code := "import \"golang.org/x/sync/errgroup\"\nerrgroup.With"
	if c := fresh.Complete(context.Background(), code, utf8.RuneCountInString(code)); !slices.Equal(c.Matches, []string{"WithContext"}) {
		t.Errorf("before the first fetch: have %q, want [WithContext]", c.Matches)
	}
	inspects := []struct{ code, want string }{
		{"errgroup.WithContext", "func WithContext(ctx context.Context) (*Group, context.Context)"},
		{"g.Go", "func (g *Group) Go(f func() error)"},
		{"errgroup", "package errgroup // import \"golang.org/x/sync/errgroup\""},
	}
	for _, tt := range inspects {
		in := e.Inspect(context.Background(), tt.code, utf8.RuneCountInString(tt.code), 0)
		text, _ := in.Data["text/plain"].(string)
		if !in.Found || !strings.Contains(text, tt.want) {
			t.Errorf("inspect %s: have %v %q, want %q", tt.code, in.Found, text, tt.want)
		}
	}
	rec = recordingOutput{}
	if _, err := e.Execute(context.Background(), interp.ExecuteRequest{Code: "%doc errgroup.Group", Count: 2}, &rec); err != nil {
		t.Fatal(err)
	}
	if have := rec.text("stdout"); !strings.Contains(have, "type Group struct") {
		t.Errorf("%%doc errgroup.Group: have %q", have)
	}
}
