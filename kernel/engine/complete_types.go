package engine

import (
	"context"
	"go/ast"
	"go/token"
	"slices"
)

// completionTypesKey is the metadata key under which IPython (and so
// JupyterLab's completer) reads the kind of each match, to show an icon
// next to it: [{"start", "end", "text", "type"}].
const completionTypesKey = "_jupyter_types_experimental"

// completionMetadata describes matches (replacing code from rune offset
// start to end) the IPython way, with jedi's kind names: keyword, function,
// class, module, instance, statement (a variable or constant), magic.
// qual is the text before the "." of a member completion ("" for none),
// before the code up to that ".".
func (e *Engine) completionMetadata(ctx context.Context, qual, before string, decls *declSet, matches []string, start, end int) map[string]any {
	kinds := map[string]string{}
	if qual != "" {
		if pkg := e.packageFor(ctx, qual, decls); pkg != nil {
			for _, m := range pkg.members() {
				kinds[m.Name] = declKind(m.Decl)
			}
		} else {
			// A value's methods are functions to call (JupyterLab's completer
			// shows the kind next to each name: mu. -> Lock function).
			for _, m := range e.valueMembers(ctx, qual, before, decls) {
				if m.Method {
					kinds[m.Name] = "function"
				}
			}
		}
	}
	items := make([]map[string]any, 0, len(matches))
	for _, m := range matches {
		kind, ok := kinds[m]
		if !ok {
			kind = e.nameKind(qual, m, decls)
		}
		items = append(items, map[string]any{"start": start, "end": end, "text": m, "type": kind})
	}
	return map[string]any{completionTypesKey: items}
}

// nameKind is the kind of a match that is not a package member.
func (e *Engine) nameKind(qual, name string, decls *declSet) string {
	switch {
	case len(name) > 1 && name[0] == '%':
		return "magic"
	case qual != "":
		return "instance" // a field of a value (its methods are found above)
	case slices.Contains(goKeywords, name):
		return "keyword"
	}
	if ds := decls.lookup(name); len(ds) > 0 {
		switch ds[0].Kind {
		case "func":
			return "function"
		case "type":
			return "class"
		default:
			return "statement"
		}
	}
	if slices.ContainsFunc(decls.Imports, func(s importSpec) bool { return s.localName() == name }) {
		return "module"
	}
	switch name {
	case "true", "false", "nil", "iota":
		return "instance"
	case "any", "bool", "byte", "comparable", "complex128", "complex64", "error", "float32", "float64",
		"int", "int16", "int32", "int64", "int8", "rune", "string", "uint", "uint16", "uint32", "uint64", "uint8", "uintptr":
		return "class"
	}
	if slices.Contains(goBuiltins, name) {
		return "function"
	}
	if e.std.isPackageName(name) {
		return "module"
	}
	return "statement" // a name of the cell being typed
}

// declKind is the kind of a package member from its declaration.
func declKind(n ast.Node) string {
	switch d := n.(type) {
	case *ast.FuncDecl:
		return "function"
	case *ast.GenDecl:
		switch d.Tok {
		case token.TYPE:
			return "class"
		case token.CONST, token.VAR:
			return "statement"
		}
	}
	return "instance"
}
