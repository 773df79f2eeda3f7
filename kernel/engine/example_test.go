package engine_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gokernel/gokernel/kernel/engine"
	"github.com/gokernel/gokernel/kernel/interp"
)

// terminal is an interp.Output that prints a cell's output.
type terminal struct{}

func (terminal) Stream(name, text string) { fmt.Print(text) }
func (terminal) Display(d interp.Display) { fmt.Println(d.Data["text/plain"]) }
func (terminal) ClearOutput(wait bool)    {}
func (terminal) Input(ctx context.Context, prompt string, password bool) (string, error) {
	return "", interp.ErrNoStdin
}

// Cells mix declarations and statements; declarations are remembered, and a
// trailing expression with a value is the cell's result.
func ExampleEngine_Execute() {
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer e.Close()
	cells := []string{
		"// Square squares x.\nfunc Square(x int) int { return x * x }\nfmt.Println(\"declared\")",
		"Square(6) + 6",
		"fmt.Println(undefinedName)",
	}
	for i, code := range cells {
		res, err := e.Execute(ctx, interp.ExecuteRequest{Code: code, Count: i + 1}, terminal{})
		switch {
		case err != nil:
			fmt.Println(err)
		case res.Data != nil:
			fmt.Printf("Out[%d]: %v\n", i+1, res.Data["text/plain"])
		}
	}
	// Output:
	// declared
	// Out[2]: 42
	// CompileError: cell [3] line 1: undefined: undefinedName
	// cell [3] line 1: undefined: undefinedName
	//     fmt.Println(undefinedName)
	//                 ^
}
