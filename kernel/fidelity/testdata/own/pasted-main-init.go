package main

import (
	"fmt"
	"sort"
	"strings"
)

// A program that sets up state in init and uses it in main.
var registry = map[string]func(string) string{}

func register(name string, f func(string) string) {
	registry[name] = f
}

func init() {
	register("upper", strings.ToUpper)
	register("title", func(s string) string { return strings.ToUpper(s[:1]) + s[1:] })
	fmt.Println("init: registered", len(registry), "transforms")
}

func main() {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Printf("%s: %s\n", name, registry[name]("gopher"))
	}
}
