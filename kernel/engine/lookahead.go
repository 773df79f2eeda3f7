package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gokernel/gokernel/kernel/engine/speculate"
	"github.com/gokernel/gokernel/kernel/interp"
)

// DefaultLookahead is how many queued cells the engine builds ahead of their
// turn by default.
const DefaultLookahead = 4

// lookahead builds the cells waiting in the execute queue while the current
// one builds and runs (Run All), on the spare core. It assumes each cell
// commits its declarations; speculate.Builds drops a build whose
// assumption breaks. A build ahead only fills the binary cache, which is
// keyed by the program's source: when its turn comes the cell composes its
// program as always and finds the binary only if the program is the same, so
// what runs is exactly what running the cells one by one would run.
type lookahead struct {
	depth  int // cells planned ahead; 0: off
	builds *speculate.Builds
	wake   chan struct{}
	// hits counts cells whose build found the binary built ahead (logs, tests).
	hits atomic.Int64
	// raceWatch makes sure one goroutine replans when the race-enabled
	// library a queued %race cell needs is ready.
	raceWatch sync.Once

	mu sync.Mutex
	// queued are the requests not finished, in order: the first is the
	// one running or about to run (interp.Lookahead).
	queued []interp.ExecuteRequest
	// current is the key of the cell being executed (what it saw when it
	// started), nil between cells.
	current *speculate.Key
	// after is what the next cell will see once the cell being executed
	// commits; nil before its merge.
	after *cellState
}

// cellState is what a cell sees of the cells before it.
type cellState struct {
	decls    *declSet
	notebook settings
	kept     keptView // the kept values (a snapshot: read while Execute runs)
}

// seen fingerprints what a cell sees (the speculation's assumption): the
// declarations and imports remembered, the notebook's settings, and whether
// the request is silent (it decides whether the value is shown). Anything
// else that earlier cells leave for later ones and that changes a cell's
// program (values carried across cells, say) must be folded in here.
func (s cellState) seen(silent bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "silent=%v\x00%+v\x00", silent, s.notebook)
	for _, imp := range s.decls.Imports {
		fmt.Fprintf(h, "import %q %q\x00", imp.Name, imp.Path)
	}
	for _, d := range s.decls.Decls {
		fmt.Fprintf(h, "%s %q %s %d %q %d:%d %q\x00", d.Kind, d.Names, d.Receiver, d.Cell, d.Keyword, d.Text.Line, d.Text.Col, d.Text.Text)
	}
	if s.kept != nil {
		for _, n := range s.kept.Names() {
			k, _ := s.kept.Lookup(n)
			// The order of a group's names changes no program (planLoads
			// loads the whole group, in sorted order).
			fmt.Fprintf(h, "kept %s %s %q %q %q\x00", n, k.Type, k.Decl, slices.Sorted(slices.Values(k.Group())), k.Dyn)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func newLookahead(depth int) *lookahead {
	return &lookahead{depth: max(depth, 0), builds: speculate.New(2), wake: make(chan struct{}, 1)}
}

func (l *lookahead) on() bool { return l.depth > 0 }

func (l *lookahead) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Queued implements interp.Lookahead: it notes the cells waiting behind the
// current one; the planner builds them in the background.
func (e *Engine) Queued(reqs []interp.ExecuteRequest) {
	if !e.ahead.on() {
		return
	}
	e.ahead.mu.Lock()
	e.ahead.queued = reqs
	e.ahead.mu.Unlock()
	e.ahead.poke()
}

var _ interp.Lookahead = (*Engine)(nil)

// startCell records the cell Execute starts, under the key of what it sees.
func (e *Engine) startCell(key speculate.Key) {
	if !e.ahead.on() {
		return
	}
	e.ahead.mu.Lock()
	e.ahead.current, e.ahead.after = &key, nil
	e.ahead.mu.Unlock()
	e.ahead.poke()
}

// setAfter records what the next cell will see once the current cell
// commits, and replans.
func (e *Engine) setAfter(s *cellState) {
	if !e.ahead.on() {
		return
	}
	e.ahead.mu.Lock()
	e.ahead.after = s
	e.ahead.mu.Unlock()
	e.ahead.poke()
}

// endCell records that the current cell's Execute returned: it leaves the
// queue the engine was told of.
func (e *Engine) endCell(key speculate.Key) {
	if !e.ahead.on() {
		return
	}
	e.ahead.mu.Lock()
	if q := e.ahead.queued; len(q) > 0 && q[0].Count == key.Count && q[0].Code == key.Code {
		e.ahead.queued = q[1:]
	}
	e.ahead.current, e.ahead.after = nil, nil
	e.ahead.mu.Unlock()
	e.ahead.poke()
}

// planLoop replans whenever the queue or the current cell's state changes,
// until ctx ends.
func (e *Engine) planLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.ahead.wake:
			e.plan()
		}
	}
}

// plan walks the queued cells from the state the current cell leaves,
// assuming each commits, and hands speculate.Builds a build for every cell
// it can build ahead. The walk stops at what it cannot foresee: a magic with
// side effects (%cd, %reset ...), a cell that does not split or parse (it
// will fail and, with stop_on_error, abort the rest).
func (e *Engine) plan() {
	e.ahead.mu.Lock()
	queued, current, after := e.ahead.queued, e.ahead.current, e.ahead.after
	e.ahead.mu.Unlock()
	if !e.warm() {
		e.ahead.builds.Plan(nil)
		return
	}
	var jobs []speculate.Job
	var state *cellState
	// firstStarts: no cell runs, so the first queued cell is the one the
	// server is about to hand to Execute, which builds it at once at
	// normal priority. A build of it started here would compose its
	// program a second time and make it wait for a build at nice 10, for
	// every cell of a client that sends each cell alone (nbclient). A
	// build ahead already made for it is kept.
	firstStarts := false
	switch {
	case current != nil && after == nil:
		// A cell has started and not yet merged: what it leaves is not
		// known better than the plan already made (which assumed it
		// commits), so that plan stands.
		return
	case current != nil:
		// A cell runs: keep what was built ahead for it (it may be
		// waiting for that build), and plan the cells behind it from what
		// it leaves.
		jobs = append(jobs, speculate.Job{Key: *current})
		if len(queued) > 0 && queued[0].Count == current.Count && queued[0].Code == current.Code {
			queued = queued[1:]
		}
		state = after
	default:
		e.mu.RLock()
		state = &cellState{decls: e.decls, notebook: e.notebook, kept: e.keptSnap}
		e.mu.RUnlock()
		firstStarts = true
	}
	for i, req := range queued[:min(len(queued), e.ahead.depth)] {
		key := speculate.Key{Count: req.Count, Code: req.Code, Seen: state.seen(req.Silent)}
		sc, err := split(req.Code, state.notebook)
		if err != nil || len(sc.Effects) > 0 {
			break
		}
		next := &cellState{decls: state.decls, notebook: sc.Notebook, kept: state.kept}
		if sc.Run != nil || strings.TrimSpace(sc.Code) == "" {
			state = next // a cell magic (%%python3 ...): nothing to build, declarations unchanged
			continue
		}
		pc, err := parseCode(sc.Code)
		if err != nil {
			break
		}
		merged := state.decls.clone()
		merged.merge(pc, req.Count)
		next.decls = merged
		if sc.Cell.Race && !e.build.raceWarmDone() {
			e.warmRaceAhead()
		}
		if i == 0 && firstStarts {
			jobs = append(jobs, speculate.Job{Key: key})
		} else if !sc.Cell.Race || e.build.raceWarmDone() {
			req, race, kept := req, sc.Cell.Race, state.kept
			jobs = append(jobs, speculate.Job{Key: key, Run: func(ctx context.Context) {
				e.buildAhead(ctx, pc, merged, kept, req, race)
			}})
		}
		state = next
	}
	e.ahead.builds.Plan(jobs)
}

// warmRaceAhead starts building the race-enabled standard library for a
// queued %race cell (its turn would start it anyway) and replans when it is
// ready, so that cell too can be built ahead.
func (e *Engine) warmRaceAhead() {
	done := e.build.startRaceWarm(e.warmCtx)
	e.ahead.raceWatch.Do(func() {
		go func() {
			select {
			case <-done:
				e.ahead.poke()
			case <-e.warmCtx.Done():
			}
		}()
	})
}

// warm reports whether the background warm-up has ended: builds ahead
// wait for nothing (the current cell waits, and says so).
func (e *Engine) warm() bool {
	select {
	case <-e.warmed:
		return true
	default:
		return false
	}
}

// lookaheadDepth maps Config.Lookahead to a depth (0: off).
func lookaheadDepth(n int) int {
	switch {
	case n == 0:
		return DefaultLookahead
	case n < 0:
		return 0
	}
	return n
}

// buildAhead composes and builds a queued cell's program as Execute will
// when its turn comes, into the binary cache. Programs that need modules
// outside the standard library are left to their turn (fetching a module
// has effects the user should see).
func (e *Engine) buildAhead(ctx context.Context, pc *parsedCell, merged *declSet, kept keptView, req interp.ExecuteRequest, race bool) {
	if kept == nil {
		return
	}
	usedDecls, values := e.planLoads(kept, pc, merged, req.Count)
	used := &declSet{Imports: merged.Imports, Decls: usedDecls}
	prog, paths := e.program(ctx, pc, merged, used, req.Count, req.Silent, race, values, discardOutput{})
	if ctx.Err() != nil || !e.build.fastPathOK(paths) {
		return
	}
	built, err := e.build.build(inBackground(ctx), buildRequest{Cell: req.Count, Source: prog.Source, Imports: paths, Race: race})
	e.log.Debug("build ahead", "cell", req.Count, "how", built.How, "err", err)
}

// waitAhead is called by Execute just before it builds: it waits for the
// build ahead of this very cell under the same assumption, if one is
// running, and drops the work planned for this cell and those before it.
// It reports whether such a build ran.
func (e *Engine) waitAhead(ctx context.Context, key speculate.Key) bool {
	return e.ahead.on() && e.ahead.builds.Wait(ctx, key)
}

// discardOutput is the Output of builds ahead: what they would tell the
// user (a first compile of a package) the cell's own turn tells.
type discardOutput struct{}

func (discardOutput) Stream(string, string)  {}
func (discardOutput) Display(interp.Display) {}
func (discardOutput) ClearOutput(bool)       {}
func (discardOutput) Input(context.Context, string, bool) (string, error) {
	return "", interp.ErrNoStdin
}
