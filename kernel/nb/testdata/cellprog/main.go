// Command cellprog is a cell program written the way the kernel's compose
// stage writes one (cellrt.Start first, cellrt.Result and cellrt.Finish
// last), used by cell_test.go to check what a real cell binary prints.
// CELLPROG_MODE selects the cell.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/gokernel/gokernel/kernel/nb"
	"github.com/gokernel/gokernel/kernel/nb/cellrt"
)

var counter = 0

// worker runs in a child process: it changes its copy of counter, displays
// something itself, and sends n numbers on q.
func worker(q *nb.Queue[int], n int) error {
	counter = 100
	nb.HTML("<i>from the child</i>")
	for i := range n {
		if err := q.Put(i); err != nil {
			return err
		}
	}
	return q.Close()
}

// sleeper runs in a child process until it is killed.
func sleeper() {
	fmt.Printf("child pid %d\n", os.Getpid())
	time.Sleep(time.Minute)
}

// napper sleeps for d, then says so: a child the cell does not join.
func napper(d time.Duration) {
	time.Sleep(d)
	fmt.Println("napper done")
}

// score renders itself as HTML when it is the cell's value.
type score int

func (s score) HTML() string { return fmt.Sprintf("<b>%d</b>", int(s)) }

func main() {
	cellrt.Start(map[string]any{"worker": worker, "sleeper": sleeper, "napper": napper})
	switch os.Getenv("CELLPROG_MODE") {
	case "order":
		fmt.Println("A")
		nb.HTML("<b>B</b>")
		fmt.Println("C")
		q := nb.NewQueue[int]()
		p, err := nb.Start(worker, q, 4)
		if err != nil {
			fmt.Println(err)
			return
		}
		sum := 0
		for v := range q.All() {
			sum += v
		}
		err = p.Join()
		fmt.Println("sum", sum, "counter", counter, "join", err)
		h := nb.NewDisplay("v1")
		h.Update("v2")
		go func() { select {} }()
		cellrt.Result(score(3))
	case "selfdelete":
		// The kernel may remove or replace a cell's binary while it runs.
		exe, err := os.Executable()
		if err == nil {
			err = os.Remove(exe)
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("run after delete:", nb.Run(napper, time.Duration(0)))
	case "unjoined":
		if _, err := nb.Start(napper, 1200*time.Millisecond); err != nil {
			fmt.Println(err)
		}
		fmt.Println("cell done")
	case "sleeper":
		p, err := nb.Start(sleeper)
		if err != nil {
			fmt.Println(err)
			return
		}
		p.Join()
	}
	cellrt.Finish()
}
