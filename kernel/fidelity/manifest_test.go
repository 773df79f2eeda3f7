package fidelity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		p    Program
		in   string
		want string
	}{
		{name: "ordered: untouched", p: Program{}, in: "b\na\nno newline", want: "b\na\nno newline"},
		{name: "unordered: lines sorted", p: Program{Unordered: true}, in: "b\nc\na\n", want: "a\nb\nc\n"},
		{name: "unordered: an unterminated line stays marked", p: Program{Unordered: true}, in: "b\na", want: "a⟨no newline⟩\nb\n"},
		{name: "unordered: empty", p: Program{Unordered: true}, in: "", want: ""},
		{
			name: "masks, then sorting",
			p:    Program{Unordered: true, Masks: []Mask{{Pattern: `(ops): \d+`, Replace: "$1: N"}}},
			in:   "ops: 12\nalpha\nops: 7\n",
			want: "alpha\nops: N\nops: N\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			if err := p.compileMasks(); err != nil {
				t.Fatal(err)
			}
			if have := p.Normalize(tt.in); have != tt.want {
				t.Errorf("have %q, want %q", have, tt.want)
			}
		})
	}
}

func TestReadManifestRejects(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const sources = `"sources": {"own": {"repository": "x"}}`
	tests := []struct {
		name, manifest, want string
	}{
		{"unknown field", `{` + sources + `, "programs": [{"name": "a", "file": "p.go", "source": "own", "sorted": true}]}`, "unknown field"},
		{"unknown source", `{` + sources + `, "programs": [{"name": "a", "file": "p.go", "source": "elsewhere"}]}`, "not among the sources"},
		{"duplicate name", `{` + sources + `, "programs": [{"name": "a", "file": "p.go", "source": "own"}, {"name": "a", "file": "p.go", "source": "own"}]}`, "name used twice"},
		{"missing file", `{` + sources + `, "programs": [{"name": "a", "file": "q.go", "source": "own"}]}`, "q.go"},
		{"unordered without why", `{` + sources + `, "programs": [{"name": "a", "file": "p.go", "source": "own", "unordered": true}]}`, "varies"},
		{"bad mask", `{` + sources + `, "programs": [{"name": "a", "file": "p.go", "source": "own", "masks": [{"pattern": "("}], "varies": "x"}]}`, "missing closing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "programs.json")
			if err := os.WriteFile(path, []byte(tt.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadManifest(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error: have %v, want one containing %q", err, tt.want)
			}
		})
	}
}
