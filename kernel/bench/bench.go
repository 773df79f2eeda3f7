package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Config configures a benchmark run.
type Config struct {
	// Exe is the gokernel binary to measure (started as `Exe kernel
	// --connection-file F`, and `Exe install --prefix DIR` for figure 6).
	Exe string
	// GoBin is the go command for the reference timings; default "go".
	GoBin string
	// Python runs figure 1's jupyter_client driver (it needs jupyter_client
	// and ipykernel); default DefaultPython.
	Python string
	// Runs is the number of measured runs per figure (-n); at least 1.
	Runs int
	// Quick trims the expensive figures (one fresh install, two floods, 100
	// cells for the RSS growth) so that the whole run takes a few minutes.
	Quick bool
	// Only lists the figures to measure ("1".."13"); empty means all.
	Only []string
	// Cells is the number of cells of figure 9; default 1000, 100 when Quick.
	Cells int
	// FloodMB is the size of figure 8's output; default 100.
	FloodMB int
	// Progress receives a line per measured run; nil: none.
	Progress io.Writer
	Logger   *slog.Logger
}

// Figures lists the figures Run knows, in order, with what they measure.
var Figures = []struct{ ID, What string }{
	{"1", "kernel start → kernel_info_reply (our client; jupyter_client beside ipykernel)"},
	{"2", "hello cell, source changed every run"},
	{"3", "~60-line lesson cell (goroutines, WaitGroup, Mutex, channels)"},
	{"4", "hello and lesson cells with 200 remembered declarations"},
	{"5", "warm %race cell"},
	{"6", "first cell after a fresh install with an empty build cache"},
	{"7", "complete_request and inspect_request, idle and while a cell runs"},
	{"8", "a cell printing 100 MB"},
	{"9", "idle kernel RSS; RSS after 1000 cells"},
	{"10", "interrupt_request → execute_reply of a looping cell"},
	{"11", "Run All (every execute_request at once) of lessons 3 and 6 and 30 small cells, cells built ahead vs one by one"},
	{"12", "values kept across cells: hello beside kept values, using 10 small ones, using a 10 MB one; kernel RSS"},
	{"13", "Run All of lessons 3 and 6 through nbclient: a restarted kernel reusing earlier kernels' binaries vs building every cell"},
}

// benchmark holds the state of one Run.
type benchmark struct {
	cfg    Config
	report *Report
	ref    *referenceModule
	logger *slog.Logger
	run    int // increasing number that makes every cell's source new
}

// Run measures every selected figure and returns the report, evaluated. A
// figure that cannot be measured is recorded in Report.Failures and the
// run goes on with the next; the error is only for a run that could not
// start at all.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Exe == "" {
		return nil, errors.New("bench: no kernel binary")
	}
	if cfg.GoBin == "" {
		cfg.GoBin = "go"
	}
	if cfg.Python == "" {
		cfg.Python = DefaultPython
	}
	cfg.Runs = max(cfg.Runs, 1)
	if cfg.Cells == 0 {
		cfg.Cells = 1000
		if cfg.Quick {
			cfg.Cells = 100
		}
	}
	if cfg.FloodMB == 0 {
		cfg.FloodMB = 100
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, id := range cfg.Only {
		if !slices.ContainsFunc(Figures, func(f struct{ ID, What string }) bool { return f.ID == id }) {
			return nil, fmt.Errorf("bench: unknown figure %q (have 1..%d)", id, len(Figures))
		}
	}
	goVersion, err := exec.CommandContext(ctx, cfg.GoBin, "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("bench: %s env GOVERSION: %w", cfg.GoBin, err)
	}
	ref, err := newReferenceModule(cfg.GoBin)
	if err != nil {
		return nil, err
	}
	defer ref.Close()
	b := &benchmark{
		cfg:    cfg,
		ref:    ref,
		logger: cfg.Logger,
		run:    int(time.Now().Unix() % 100000 * 1000),
		report: &Report{
			Started: time.Now(), Runs: cfg.Runs, Quick: cfg.Quick,
			Machine: describeMachine(cfg.Exe, strings.TrimSpace(string(goVersion))),
		},
	}
	steps := []struct {
		ids []string
		fn  func(context.Context) error
	}{
		{[]string{"1"}, b.figureStart},
		{[]string{"1"}, b.figureStartJupyterClient},
		{[]string{"2", "3", "7", "10"}, b.figuresMainKernel},
		{[]string{"8"}, b.figureFlood},
		{[]string{"4"}, b.figureDeclarations},
		{[]string{"5"}, b.figureRace},
		{[]string{"9"}, b.figureRSS},
		{[]string{"6"}, b.figureFreshInstall},
		{[]string{"11"}, b.figureRunAll},
		{[]string{"12"}, b.figureValues},
		{[]string{"13"}, b.figureRunAllNbclient},
	}
	for _, s := range steps {
		if !b.anySelected(s.ids...) {
			continue
		}
		if err := s.fn(ctx); err != nil {
			b.report.Failures = append(b.report.Failures, fmt.Sprintf("figures %s: %v", strings.Join(s.ids, ","), err))
			b.progress("figures %s FAILED: %v", strings.Join(s.ids, ","), err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	b.report.Seconds = time.Since(b.report.Started).Seconds()
	b.report.Machine.LoadAfter = loadAverage()
	b.report.Evaluate()
	return b.report, ctx.Err()
}

func (b *benchmark) selected(id string) bool {
	return len(b.cfg.Only) == 0 || slices.Contains(b.cfg.Only, id)
}

func (b *benchmark) anySelected(ids ...string) bool {
	return slices.ContainsFunc(ids, b.selected)
}

func (b *benchmark) progress(format string, args ...any) {
	fmt.Fprintf(b.cfg.Progress, "bench: "+format+"\n", args...)
}

// nextRun returns a number no cell of this benchmark has used yet.
func (b *benchmark) nextRun() int {
	b.run++
	return b.run
}

// startKernel starts a kernel and connects a ready client to it.
func (b *benchmark) startKernel(ctx context.Context, env ...string) (*Kernel, *Client, error) {
	// Every figure but 13 measures kernels that build their cells: binaries
	// kept by earlier kernels (the user's binary cache) would make a
	// repeated source free.
	k, err := StartKernel(ctx, KernelConfig{Exe: b.cfg.Exe, Env: append([]string{binaryCacheOff}, env...)})
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := k.Connect(cctx, b.logger)
	if err != nil {
		k.Stop(time.Second)
		return nil, nil, err
	}
	return k, c, nil
}

// stopKernel shuts the kernel down as a frontend does and kills it if needed.
func (b *benchmark) stopKernel(ctx context.Context, k *Kernel, c *Client) {
	if err := k.Shutdown(ctx, c, 5*time.Second); err != nil {
		b.logger.Warn("kernel shutdown", "err", err)
	}
	c.Close()
	k.Stop(time.Second)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cellError turns a reply of status other than ok into an error.
func cellError(call *Call) error {
	r, err := call.ExecuteReply()
	if err != nil {
		return err
	}
	if r.Status != "ok" {
		return fmt.Errorf("cell ended with status %q: %s: %s\n%s", r.Status, r.Ename, r.Evalue, strings.Join(r.Traceback, "\n"))
	}
	return nil
}

// executeTimed runs code and adds its request→reply and request→idle times
// to reply and idle (either may be nil).
func (b *benchmark) executeTimed(ctx context.Context, c *Client, code string, timeout time.Duration, reply, idle *Result) (*Call, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	call, err := c.Execute(cctx, code)
	if err == nil {
		err = cellError(call)
	}
	if err != nil {
		for _, r := range []*Result{reply, idle} {
			if r != nil {
				r.Fail(err)
			}
		}
		return call, err
	}
	t := call.Snapshot()
	if reply != nil {
		reply.Add(ms(t.ReplyAt.Sub(t.Sent)))
	}
	if idle != nil {
		idle.Add(ms(t.IdleAt.Sub(t.Sent)))
	}
	return call, nil
}
