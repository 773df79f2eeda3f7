package clienttest

import (
	"os"
	"testing"
	"time"
)

// kernelUnderTest is the kernel every client drives and the code it sends, in the kernel's
// language. Samples that are longer than a line live in testdata/<area>/<lang>.*.
type kernelUnderTest struct {
	// Name is the kernelspec name clients ask for.
	Name string
	// Lang selects the testdata sample files: "go" or "python".
	Lang string
	// Binary is the gokernel executable, empty for ipykernel.
	Binary string
	// Hello prints exactly "hello, world\n".
	Hello string
	// Loop prints "tick N" lines, a few per second, until interrupted.
	Loop string
	// LoopExpect appears in Loop's output after about a second.
	LoopExpect string
	// InterruptText appears in the error an interrupted cell ends with.
	InterruptText string
}

// Samples of the two kernels. Go's interrupted cell "ends with an error that says it was
// interrupted" (issue 2); any capitalisation of "interrupt" counts.
var (
	goSamples = kernelUnderTest{
		Lang:          "go",
		Hello:         `fmt.Println("hello, world")`,
		Loop:          "for i := 0; ; i++ {\n\tfmt.Println(\"tick\", i)\n\ttime.Sleep(200 * time.Millisecond)\n}",
		LoopExpect:    "tick 2",
		InterruptText: "nterrupt",
	}
	pythonSamples = kernelUnderTest{
		Name:          "python3",
		Lang:          "python",
		Hello:         "print('hello, world')",
		Loop:          "import time\nfor i in range(100000):\n    print('tick', i, flush=True)\n    time.sleep(0.2)",
		LoopExpect:    "tick 2",
		InterruptText: "KeyboardInterrupt",
	}
)

// referenceKernelEnv selects Debian's ipykernel instead of gokernel, to check the drivers.
const referenceKernelEnv = "GOKERNEL_CLIENTTEST_KERNEL"

// TestClients runs every real client against the kernel, one subtest per client, in a
// private Jupyter environment. Each subtest ends by checking that the client left no
// kernel (or any other process it started) running.
func TestClients(t *testing.T) {
	if testing.Short() {
		t.Skip("clienttest drives real Jupyter clients for minutes; skipped with -short")
	}
	env := newJupyterEnv(t)
	var k kernelUnderTest
	switch name := os.Getenv(referenceKernelEnv); name {
	case "", "gokernel":
		k = goSamples
		k.Binary = buildGokernel(t, env)
		k.Name = installKernelspec(t, env, k.Binary)
	case "python3":
		k = pythonSamples
	default:
		t.Fatalf("%s=%q: want gokernel or python3", referenceKernelEnv, name)
	}
	t.Logf("kernel under test: %s (%s samples), Jupyter dirs under %s", k.Name, k.Lang, env.dir)

	clients := []struct {
		name string
		run  func(t *testing.T, env *jupyterEnv, k kernelUnderTest)
	}{
		{"kernelspec", testKernelspec},
		{"jupyter_kernel_test", testKernelTestSuite},
		{"nbclient", testNbclient},
		{"nbconvert", testNbconvert},
		{"console", testConsole},
		{"notebook_browser", testNotebookBrowser},
		{"jupyterlab_services", testLabServices},
		{"server_killed", testServerKilled},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			// Registered first, so it runs after the subtest's own cleanups (servers, tmux).
			t.Cleanup(func() {
				env.sweepLeftovers(t)
				t.Logf("%s: %s", c.name, time.Since(start).Round(time.Millisecond))
			})
			c.run(t, env, k)
		})
	}
}
