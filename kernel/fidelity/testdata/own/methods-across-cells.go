package main

import (
	"fmt"
	"strings"
)

// Types with value and pointer methods, an embedded type whose methods are
// promoted, an interface and a Stringer: declared in one cell, used in the
// next when the program is split.
type Counter struct{ n int }

func (c *Counter) Inc()          { c.n++ }
func (c Counter) Value() int     { return c.n }
func (c Counter) String() string { return fmt.Sprintf("Counter(%d)", c.n) }

type Named struct {
	Counter
	Name string
}

func (n Named) Describe() string { return strings.ToUpper(n.Name) + " at " + n.String() }

type Describer interface{ Describe() string }

func main() {
	var c Counter
	c.Inc()
	c.Inc()
	fmt.Println(c, c.Value())
	n := &Named{Name: "clicks"}
	n.Inc()
	var d Describer = n
	fmt.Println(d.Describe())
	fmt.Printf("%v %+v\n", *n, c)
}
