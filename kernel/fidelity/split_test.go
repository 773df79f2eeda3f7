package fidelity

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name        string
		program     string
		decls, body string
		hasInit     bool
		hasVars     bool
		err         string
	}{
		{
			name:    "imports only",
			program: "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(1)\n}\n",
			decls:   "import \"fmt\"\n",
			body:    "fmt.Println(1)\n",
		},
		{
			name: "declarations around main, its doc comment goes with it",
			program: "package main\n\nimport \"fmt\"\n\nvar T = 1\n\n// main prints.\nfunc main() {\n\tif true {\n\t\tfmt.Println(T(1))\n\t}\n}\n\n" +
				"func init() { fmt.Println(\"init\") }\n",
			decls:   "import \"fmt\"\n\nvar T = 1\n\nfunc init() { fmt.Println(\"init\") }\n",
			body:    "if true {\n\tfmt.Println(T(1))\n}\n",
			hasInit: true,
			hasVars: true,
		},
		{
			name:    "a method named main is not main",
			program: "package main\n\ntype T struct{}\n\nfunc (T) main() {}\n\nfunc main() { T{}.main() }\n",
			decls:   "type T struct{}\n\nfunc (T) main() {}\n",
			body:    " T{}.main() \n",
		},
		{name: "no main", program: "package main\n\nfunc f() {}\n", err: "no func main"},
		{name: "not main", program: "package lib\n\nfunc main() {}\n", err: "not package main"},
		{name: "syntax error", program: "package main\n\nfunc main() {\n", err: "expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := Split(tt.program)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error: have %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if parts.Declarations != tt.decls {
				t.Errorf("declarations: have %q, want %q", parts.Declarations, tt.decls)
			}
			if parts.Body != tt.body {
				t.Errorf("body: have %q, want %q", parts.Body, tt.body)
			}
			if parts.HasInit != tt.hasInit || parts.HasVars != tt.hasVars {
				t.Errorf("has init, vars: have %v, %v, want %v, %v", parts.HasInit, parts.HasVars, tt.hasInit, tt.hasVars)
			}
		})
	}
}

func TestWithMainRenamed(t *testing.T) {
	program := "package main\n\n// main is documented.\nfunc main() { println(\"main\") }\n\nfunc init() {}\n"
	parts, err := Split(program)
	if err != nil {
		t.Fatal(err)
	}
	want := "package main\n\n// main is documented.\nfunc userMain() { println(\"main\") }\n\nfunc init() {}\n"
	if have := parts.WithMainRenamed("userMain"); have != want {
		t.Errorf("have %q, want %q", have, want)
	}
}
