package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gokernel/gokernel/kernel/engine/bincache"
	"github.com/gokernel/gokernel/kernel/engine/speculate"
	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/nb/keep"
	"github.com/gokernel/gokernel/kernel/nb/wire"
	"github.com/gokernel/gokernel/kernel/reap"
)

// Config configures an Engine. Zero values pick sensible defaults.
type Config struct {
	GoBin   string       // go command; default: "go" on PATH, then $GOROOT/bin/go
	WorkDir string       // private workspace (0700); default: a new temp dir, removed by Close
	Logger  *slog.Logger // default: discard
	Race    bool         // build every cell with the race detector
	Timeout time.Duration
	Limits  Limits
	// Lookahead is how many queued cells are built ahead of their turn
	// while the current one builds and runs (lookahead.go); 0 means
	// DefaultLookahead, a negative number none.
	Lookahead int
	// Dir is the working directory of cells; default: the kernel's own
	// (the notebook's directory, where Jupyter starts kernels). The grader
	// sets it to a scratch copy of each submission's folder.
	Dir string
	// Prebuilt is the directory of a shared prebuilt library (see
	// Prebuild); default: $GOKERNEL_PREBUILT. Cells then build against it
	// instead of compiling the standard library into the user's cache.
	Prebuilt string
	// BinaryCache keeps cells' binaries between kernel runs (see
	// UserBinaryCache); nil: a kernel reuses only the binaries it built.
	BinaryCache *bincache.Cache
}

// Engine runs Go cells. It implements interp.Interpreter.
//
// Execute runs one cell at a time through the stages listed in doc.go;
// Complete, Inspect and IsComplete only read a snapshot of what the
// notebook declared, so they answer while a cell runs.
type Engine struct {
	dir   string // Config.Dir
	log   *slog.Logger
	tc    *toolchain
	ws    *workspace
	build *builder
	std   *stdTable
	fixer *importFixer
	check *valueChecker
	docs  *docCache
	// operator are the limits the kernel's operator set in the environment
	// (limits.go), read by New.
	operator operatorLimits
	// modCacheDir is the module cache directory, found on first use
	// (modules.go).
	modCacheDir moduleCache

	warmed     chan struct{} // closed when the background warm-up ends
	warmErr    error         // set before warmed is closed
	warmCtx    context.Context
	stopWarm   context.CancelFunc
	background sync.WaitGroup

	execMu sync.Mutex // one Execute at a time
	// kept are the variables carried over from cell to cell (values.go);
	// Execute's (execMu's) alone.
	kept *keep.Store

	ahead *lookahead // builds of queued cells ahead of their turn

	mu    sync.RWMutex // guards the notebook state below
	decls *declSet
	// keptVars are the kept := variables as declarations, for completion
	// (kept itself is Execute's alone).
	keptVars *valueSection
	// keptSnap is a snapshot of kept for builds ahead (lookahead.go).
	keptSnap keptView
	sources  map[int]string // execution count -> cell code, for cells whose decls are remembered
	// cellFiles maps the codeFile name of each cell's code to the execution
	// count that last ran that code: positions in a program name the code,
	// messages the cell.
	cellFiles map[string]int
	notebook  settings
	closed    bool
	// stopCell cancels the running cell (Close stops it).
	stopCell context.CancelFunc
}

var _ interp.Interpreter = (*Engine)(nil)

// New prepares a workspace and starts warming the build cache in the
// background; it does not wait for the warm-up (the first cell does).
func New(ctx context.Context, cfg Config) (*Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tc, err := findToolchain(ctx, cfg.GoBin)
	if err != nil {
		return nil, err
	}
	ws, err := openWorkspace(cfg.WorkDir, tc.langVer)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(ws.path(wsBuild, "imports"), 0o700); err != nil {
		ws.remove()
		return nil, fmt.Errorf("workspace: %w", err)
	}
	stateMax, err := keep.MaxFromEnv()
	if err != nil {
		ws.remove()
		return nil, fmt.Errorf("GOKERNEL_STATE_MAX: %w", err)
	}
	kept, err := keep.NewStore(ws.path("state"), stateMax)
	if err != nil {
		ws.remove()
		return nil, fmt.Errorf("workspace: %w", err)
	}
	e := &Engine{
		kept:      kept,
		dir:       cfg.Dir,
		log:       log,
		tc:        tc,
		ws:        ws,
		build:     newBuilder(tc, ws, log),
		std:       &stdTable{goroot: tc.goroot},
		warmed:    make(chan struct{}),
		decls:     &declSet{},
		sources:   map[int]string{},
		cellFiles: map[string]int{},
		notebook:  settings{Race: cfg.Race, Timeout: cfg.Timeout, Limits: cfg.Limits},
		operator:  operatorLimitsFromEnv(),
		ahead:     newLookahead(lookaheadDepth(cfg.Lookahead)),
	}
	e.keptSnap = kept.Snapshot(nil, nil)
	e.build.prebuilt = cfg.Prebuilt
	e.build.spares = &spareCompiler{}
	e.build.disk = cfg.BinaryCache
	if e.build.prebuilt == "" {
		e.build.prebuilt = os.Getenv(EnvPrebuilt)
	}
	e.fixer = &importFixer{std: e.std, dir: ws.path(wsBuild, "imports")}
	e.check = newValueChecker(e.build.exportFile)
	e.docs = newDocCache(tc.goroot)
	warmCtx, stop := context.WithCancel(context.Background())
	e.warmCtx, e.stopWarm = warmCtx, stop
	e.background.Add(1)
	// A shared prebuilt library, or a previous kernel's warm-up still valid, spares the first cell the
	// `go list` of the warm-up (≈0.25 s warm, seconds on a cold cache).
	restored := e.build.loadPrebuilt(false) || e.build.restoreImportConfig(false)
	if restored {
		close(e.warmed)
	}
	if e.ahead.on() {
		e.background.Add(1)
		go func() {
			defer e.background.Done()
			e.planLoop(warmCtx)
		}()
	}
	go func() {
		defer e.background.Done()
		if !restored {
			start := time.Now()
			e.warmErr = e.build.warm(warmCtx, false, warmPackages)
			close(e.warmed)
			e.log.Debug("warm", "phase", "warm", "dur", time.Since(start), "err", e.warmErr)
		}
		if e.warmErr == nil {
			e.build.spares.prepare(e.build.spareSpec()) // the first cell's compiler
		}
		if cfg.Race {
			e.startRaceWarm()
		}
		e.std.load()   // for imports and completion
		reap.Prepare() // the first cell's shepherd (see Execute)
		if e.warmErr == nil {
			e.check.preload(warmPackages)
		}
	}()
	return e, nil
}

// Warm builds the export data of the packages lessons use into the user's
// build cache, so the first cell after `gokernel install` is fast. It uses a
// temporary workspace and blocks until done.
func Warm(ctx context.Context, cfg Config) error {
	tc, err := findToolchain(ctx, cfg.GoBin)
	if err != nil {
		return err
	}
	ws, err := openWorkspace("", tc.langVer)
	if err != nil {
		return err
	}
	defer ws.remove()
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := newBuilder(tc, ws, log)
	if err := b.warm(ctx, false, warmPackages); err != nil {
		return err
	}
	// Link once: the linker's own inputs (runtime, ...) are then cached too.
	_, err = b.build(ctx, buildRequest{
		Source:  []byte("package main\n\nimport _ \"fmt\"\n\nfunc main() {}\n"),
		Imports: []string{"fmt"},
	})
	return err
}

// Version is gokernel's version, reported in kernel_info_reply.
const Version = "0.1.0"

// Info describes Go for kernel_info_reply.
func (e *Engine) Info() interp.Info {
	return interp.Info{
		Implementation:        "gokernel",
		ImplementationVersion: Version,
		LanguageName:          "go",
		LanguageVersion:       e.tc.version,
		MIMEType:              "text/x-go",
		FileExtension:         ".go",
		PygmentsLexer:         "go",
		CodeMirrorMode:        "go",
		Banner: fmt.Sprintf("gokernel %s: Go %s (%s/%s), compiled cells.\n"+
			"Cells mix declarations and statements; %%help lists the magics.", Version, e.tc.version, runtime.GOOS, runtime.GOARCH),
		HelpLinks: []interp.HelpLink{
			{Text: "Go documentation", URL: "https://go.dev/doc/"},
			{Text: "Go standard library", URL: "https://pkg.go.dev/std"},
			{Text: "gokernel README", URL: "https://github.com/gokernel/gokernel#readme"},
		},
	}
}

// stage logs one pipeline stage of a cell.
func (e *Engine) stage(cell int, phase string, start time.Time, attrs ...any) {
	e.log.Debug("stage", append([]any{"cell", cell, "phase", phase, "dur", time.Since(start)}, attrs...)...)
}

// Execute runs one cell: split -> parse -> merge -> imports -> compose ->
// build -> commit declarations -> run.
func (e *Engine) Execute(ctx context.Context, req interp.ExecuteRequest, out interp.Output) (*interp.ExecuteResult, error) {
	e.execMu.Lock()
	defer e.execMu.Unlock()
	e.mu.RLock()
	closed, notebook := e.closed, e.notebook
	before := cellState{decls: e.decls, notebook: notebook, kept: e.keptSnap} // what this cell sees
	e.mu.RUnlock()
	if closed {
		return nil, errors.New("engine: closed")
	}
	// The shepherd the next cell's program will run under starts when this
	// cell's program has exited (run) or, for a cell that ran none, when
	// the cell is over, while the user reads its output (≈5 ms less run
	// stage, kernel/reap/spare.go).
	defer reap.Prepare()
	// So does the compiler of its build (sparecompile.go): started while
	// this cell built or ran, it slowed them (≈1.5 ms more run stage).
	defer func() { e.build.spares.prepare(e.build.spareSpec()) }()
	count := req.Count
	// What this cell sees, as builds ahead of it assumed it (lookahead.go).
	aheadKey := speculate.Key{Count: count, Code: req.Code}
	if e.ahead.on() {
		aheadKey.Seen = before.seen(req.Silent)
	}
	e.startCell(aheadKey)
	defer e.endCell(aheadKey)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.mu.Lock()
	e.stopCell = cancel
	e.mu.Unlock()

	start := time.Now()
	sc, err := split(req.Code, notebook)
	e.stage(count, "split", start)
	if err != nil {
		var me *MagicError
		if errors.As(err, &me) {
			return nil, magicErrorReport(me, count)
		}
		return nil, err
	}
	e.mu.Lock()
	e.notebook = sc.Notebook
	e.mu.Unlock()
	if sc.Cell.Race {
		e.startRaceWarm()
	}
	for _, note := range sc.Notes {
		out.Stream("stdout", note)
	}
	for _, effect := range sc.Effects {
		if err := effect(ctx, e, out); err != nil {
			return nil, err
		}
	}
	if sc.Run != nil {
		// A cell magic (%%python3 ...) leaves the declarations as they are:
		// the cells behind it can be built ahead while it runs.
		e.mu.RLock()
		e.setAfter(&cellState{decls: e.decls, notebook: sc.Notebook, kept: e.keptSnap})
		e.mu.RUnlock()
		start = time.Now()
		res, err := sc.Run(ctx, e, out)
		e.stage(count, "magic", start)
		if sc.Cell.Time {
			out.Stream("stdout", "Wall time: "+shortDuration(time.Since(start))+"\n")
		}
		if err != nil {
			return nil, err
		}
		if res == nil {
			res = &interp.ExecuteResult{}
		}
		return res, nil
	}
	if strings.TrimSpace(sc.Code) == "" {
		return &interp.ExecuteResult{}, nil
	}

	start = time.Now()
	pc, err := parseCode(sc.Code)
	if pc != nil {
		e.mu.Lock()
		e.cellFiles[pc.File] = count
		e.mu.Unlock()
	}
	e.stage(count, "parse", start)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return nil, compileErrorReport(se.Diagnostics, count, func(int) string { return sc.Code }, "")
		}
		return nil, err
	}
	if len(pc.Stmts) == 0 && pc.Trailing == nil && len(pc.Decls) == 0 && len(pc.Imports) == 0 {
		return &interp.ExecuteResult{}, nil // only comments
	}

	start = time.Now()
	e.mu.RLock()
	merged := e.decls.clone()
	e.mu.RUnlock()
	merged.merge(pc, count)
	// The program gets only the declarations this cell can reach.
	// The program gets only the declarations (and kept values) this cell
	// can reach.
	usedDecls, values := e.planLoads(e.kept, pc, merged, count)
	used := &declSet{Imports: merged.Imports, Decls: usedDecls}
	e.stage(count, "merge", start, "decls", len(merged.Decls), "used", len(used.Decls), "loads", len(values.section.Load))

	if err := e.waitWarm(ctx, out); err != nil {
		return nil, buildFailed(err)
	}
	e.ahead.poke() // the queue can be planned now that the build cache is warm

	prog, paths := e.program(ctx, pc, merged, used, count, req.Silent, sc.Cell.Race, values, out)
	files := e.filesOf(pc, used)
	// The queued cells can be built ahead from what this one leaves: its
	// declarations, and the values it plans to keep.
	e.setAfter(&cellState{decls: merged, notebook: sc.Notebook, kept: values.predictKept(e.kept)})

	if sc.Cell.Race {
		if err := e.waitRaceWarm(ctx, out); err != nil {
			return nil, buildFailed(err)
		}
	}
	// Imports outside the standard library: fetch their modules (modules.go).
	if err := e.ensureModules(ctx, paths, out); err != nil {
		return nil, err
	}
	vetting := e.startVet(ctx, !sc.Cell.NoVet && !req.Silent, prog.Source, paths, count, pc.File)
	start = time.Now()
	// A build of this cell ahead of its turn, under what it sees now, may
	// be running: wait for it rather than compile the same program twice.
	ahead := e.waitAhead(ctx, aheadKey)
	built, err := e.build.build(ctx, buildRequest{Cell: count, Source: prog.Source, Imports: paths, Race: sc.Cell.Race})
	vetFindings := vetting() // shown only if the cell compiles
	if ahead && built.How == "cache" {
		e.ahead.hits.Add(1)
		built.How = "built ahead"
	}
	e.stage(count, "build", start, "how", built.How)
	buildTime := time.Since(start)
	if err != nil {
		// A failure that names no position in the program (the linker out
		// of disk, say) is not the cell's fault: buildFailed says what is wrong.
		var be *BuildError
		if errors.As(err, &be) {
			be.Diagnostics = files.diagnostics(be.Diagnostics)
		}
		if errors.As(err, &be) && slices.ContainsFunc(be.Diagnostics, func(d Diagnostic) bool { return d.File != "" }) {
			return nil, compileErrorReportLost(be.Diagnostics, count, e.sourceLookup(count, sc.Code), be.Output, values.lostHere(e))
		}
		if ctx.Err() != nil {
			return nil, interruptedBeforeRun(count)
		}
		return nil, buildFailed(err)
	}

	// The cell compiles: remember its declarations, and forget the kept
	// values whose types it redefined.
	e.dropStaleValues(merged, values, count, out)
	e.mu.Lock()
	e.decls = merged
	if len(pc.Decls) > 0 {
		e.sources[count] = sc.Code
	}
	e.pruneSources()
	e.mu.Unlock()

	showVet(vetFindings, count, sc.Code, out)
	for _, note := range values.notes {
		out.Stream("stderr", note.text)
	}
	env := e.cellEnv(sc.Cell.Race, files)
	if values.section.keeps() {
		if values.session, err = e.kept.Begin(values.section.Load, values.section.Save); err != nil {
			return nil, fmt.Errorf("engine: kept values: %w", err)
		}
		env = append(env, values.session.Env()...)
	}
	start = time.Now()
	var cpu, sys time.Duration
	value, err := run(ctx, runSpec{
		Binary:     built.Binary,
		Dir:        e.runDir(),
		Env:        env,
		AllowStdin: req.AllowStdin,
		Race:       sc.Cell.Race,
		Timeout:    sc.Cell.Timeout,
		Limits:     sc.Cell.Limits,
		Operator:   e.operator,
		CPUTime:    &cpu,
		SysTime:    &sys,
		Positions:  files.rename,
		Source:     e.sourceLookup(count, sc.Code),
	}, out)
	e.stage(count, "run", start, "cpu", cpu)
	runTime := time.Since(start)
	start = time.Now()
	e.commitValues(values, count, err == nil, out)
	e.stage(count, "commit", start)
	if sc.Cell.Time {
		out.Stream("stdout", cellTimes(runTime, cpu-sys, sys, buildTime, built.How))
	}
	if err != nil {
		return nil, err
	}
	if value == nil || req.Silent {
		return &interp.ExecuteResult{}, nil
	}
	return &interp.ExecuteResult{Data: value}, nil
}

// program runs the imports, types and compose stages: the program of a cell
// whose declarations merged into merged (used: the ones it reaches), and
// the import paths it needs.
func (e *Engine) program(ctx context.Context, pc *parsedCell, merged, used *declSet, count int, silent, race bool, values *valuePlan, out interp.Output) (program, []string) {
	start := time.Now()
	vs := values.section
	plain := compose(composition{Decls: used, Cell: pc, Count: count, Values: vs})
	imports, err := e.fixer.fix(plain.Source[plain.BodyOffset:], e.candidateImports(merged))
	e.stage(count, "imports", start, "imports", len(imports))
	if err != nil {
		// The program does not parse as a whole (e.g. a declaration that only
		// fails next to others): let the compiler say why.
		imports = e.candidateImports(merged)
	}
	paths := importPaths(imports)
	e.prepareExports(ctx, race, paths, out)

	// What the cell's variables are: which carry over when it returns; and
	// which kept values its code really uses.
	if (len(pc.Defines) > 0 || hasVars(used) || len(vs.Load) > 0) && e.build.fastPathOK(paths) {
		start = time.Now()
		if _, err := e.build.importConfig(ctx, false, withValueImports(paths, vs)); err == nil {
			src := compose(composition{Decls: used, Cell: pc, Count: count, Imports: imports, Values: vs})
			e.planSaves(values, pc, used.Decls, src.Source, count, merged)
			if len(values.unseeded) > 0 {
				used.Decls = slices.DeleteFunc(slices.Clone(used.Decls), func(d decl) bool { return isInit(d) && values.unseeded[initKey(d)] })
			}
		}
		e.stage(count, "values", start, "save", len(vs.Save))
	}
	paths = withValueImports(paths, vs)
	e.prepareExports(ctx, race, paths, out)

	// Show the trailing expression if it has a value; for a call only the
	// type checker knows how many (two or more are shown like a tuple).
	show := pc.Trailing != nil
	results := false
	if show && pc.TrailingCall {
		start = time.Now()
		show = false
		if e.build.fastPathOK(paths) {
			if _, err := e.build.importConfig(ctx, false, paths); err == nil {
				src := compose(composition{Decls: used, Cell: pc, Count: count, Imports: imports, Values: vs})
				n, ok := e.check.valueCount(src.Source, src.TrailingOffset)
				show = ok && n >= 1
				results = n > 1
			}
		}
		e.stage(count, "types", start, "show", show)
	}
	start = time.Now()
	prog := compose(composition{Decls: used, Cell: pc, Count: count, Imports: imports,
		ShowTrailing: show && !silent, TrailingResults: results, Values: vs})
	e.stage(count, "compose", start, "bytes", len(prog.Source))
	return prog, paths
}

// prepareExports compiles the standard packages paths need that no cell
// used before (their export data joins the importcfg), telling the user
// when that takes a while: net/http compiles for seconds the first time on
// a machine. Failures are left for the build to report.
func (e *Engine) prepareExports(ctx context.Context, race bool, paths []string, out interp.Output) {
	if !e.build.fastPathOK(paths) {
		return
	}
	missing := e.build.missingExports(race, paths)
	if len(missing) == 0 {
		return
	}
	done := make(chan struct{})
	var told sync.WaitGroup
	told.Add(1)
	go func() {
		defer told.Done()
		select {
		case <-done:
		case <-time.After(700 * time.Millisecond):
			out.Stream("stderr", fmt.Sprintf("gokernel: compiling %s for the first time...\n", strings.Join(missing, ", ")))
		}
	}()
	e.build.importConfig(ctx, race, paths)
	close(done)
	told.Wait() // out must not be used after Execute returns
}

// buildFailed reports a build that could not be attempted (the toolchain
// could not run, the disk is full, the build cache is not writable) as the
// cell's error: the user sees why, and the kernel carries on.
func buildFailed(err error) error {
	var ie *interp.Error
	if errors.As(err, &ie) {
		return ie // already for the user (an interrupt while waiting)
	}
	if full := fullBuildDisks(); len(full) > 0 {
		msg := fmt.Sprintf("no space left on device: the disk of %s is full", strings.Join(full, " and "))
		return &interp.Error{Name: "BuildFailed", Value: msg,
			Traceback: append([]string{"the cell could not be built: " + msg,
				"Free some space (`go clean -cache` empties the Go build cache), then run the cell again.",
				"What the toolchain said:"}, strings.Split(strings.TrimSpace(err.Error()), "\n")...)}
	}
	return &interp.Error{Name: "BuildFailed", Value: firstLine(err.Error()),
		Traceback: append([]string{"the cell could not be built:"}, strings.Split(strings.TrimSpace(err.Error()), "\n")...)}
}

func interruptedBeforeRun(count int) *interp.Error {
	return &interp.Error{Name: "Interrupted", Value: "interrupted while building the cell",
		Traceback: []string{fmt.Sprintf("cell [%d] was interrupted before it ran", count)}}
}

// candidateImports are the remembered imports plus package nb, which cells
// use without an import line (the imports stage drops it when unused).
func (e *Engine) candidateImports(ds *declSet) []importSpec {
	imps := slices.Clone(ds.Imports)
	if !slices.ContainsFunc(imps, func(s importSpec) bool { return s.localName() == "nb" }) {
		imps = append(imps, importSpec{Path: nbImportPath})
	}
	return imps
}

func importPaths(specs []importSpec) []string {
	paths := []string{cellrtImportPath}
	for _, s := range specs {
		if !slices.Contains(paths, s.Path) {
			paths = append(paths, s.Path)
		}
	}
	return paths
}

// sourceLookup finds the text of a cell for error reports: the current one,
// or an earlier one whose declarations are remembered.
func (e *Engine) sourceLookup(current int, code string) cellSource {
	return func(count int) string {
		if count == current {
			return code
		}
		e.mu.RLock()
		defer e.mu.RUnlock()
		return e.sources[count]
	}
}

// pruneSources forgets the text of cells none of whose declarations are
// remembered any more. e.mu must be held.
func (e *Engine) pruneSources() {
	used := map[int]bool{}
	for _, d := range e.decls.Decls {
		used[d.Cell] = true
	}
	for c := range e.sources {
		if !used[c] {
			delete(e.sources, c)
		}
	}
}

// runDir is the working directory of cells: the kernel's own (the notebook's
// directory, where Jupyter starts kernels), else the workspace's run dir.
func (e *Engine) runDir() string {
	if e.dir != "" {
		return e.dir
	}
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return e.ws.path(wsRun)
}

// cellEnv is the environment of a cell program whose code carries files
// (nil for a program that is not a Go cell).
func (e *Engine) cellEnv(race bool, files programFiles) []string {
	env := append(os.Environ(), wire.EnvKernel+"=1")
	if len(files) > 0 {
		env = append(env, files.env())
	}
	if race {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return env
}

// programFiles maps the codeFile names that one program's code carries to
// the execution counts that last ran that code: positions in a program name
// the code, messages name the cell.
type programFiles map[string]int

// filesOf is the programFiles of a program made of pc and used: only the
// names it carries, so what each cell passes on stays small however long
// the notebook's history.
func (e *Engine) filesOf(pc *parsedCell, used *declSet) programFiles {
	e.mu.RLock()
	defer e.mu.RUnlock()
	files := programFiles{}
	add := func(name string) {
		if n, ok := e.cellFiles[name]; ok {
			files[name] = n
		}
	}
	add(pc.File)
	for _, d := range used.Decls {
		add(d.File)
	}
	return files
}

// rename renames the codeFile names in text to the cellFile names of their
// cells.
func (f programFiles) rename(text string) string {
	return codeFilePattern.ReplaceAllStringFunc(text, func(name string) string {
		if n, ok := f[name]; ok {
			return cellFile(n)
		}
		return name
	})
}

// diagnostics is rename for the compiler's diagnostics.
func (f programFiles) diagnostics(ds []Diagnostic) []Diagnostic {
	out := slices.Clone(ds)
	for i := range out {
		out[i].File = f.rename(out[i].File)
	}
	return out
}

// env tells the cell program which execution count each of its codeFile
// names stands for (nb's report of a child's panic names cells).
func (f programFiles) env() string {
	var b strings.Builder
	b.WriteString(wire.EnvCellFiles + "=")
	for _, name := range slices.Sorted(maps.Keys(f)) {
		fmt.Fprintf(&b, "%s:%d,", name, f[name])
	}
	return b.String()
}

// warmQuietPeriod is how long the first cell waits for the warm-up before
// telling the user it is waiting.
const warmQuietPeriod = time.Second

// waitWarm waits for the background warm-up (only the first cells can
// overtake it), telling the user when that takes a while.
func (e *Engine) waitWarm(ctx context.Context, out interp.Output) error {
	// A warm cache is ready in well under a second: say nothing then, so the
	// first cell's output is only its own (clients and tests count outputs).
	// Only a cold cache, which takes many seconds, earns a progress note.
	start := time.Now()
	quiet := time.NewTimer(warmQuietPeriod)
	defer quiet.Stop()
	announced := false
	for waiting := true; waiting; {
		select {
		case <-e.warmed:
			waiting = false
		case <-quiet.C:
			announced = true
			out.Stream("stderr", "gokernel: preparing the Go build cache (first cell only)...\n")
		case <-ctx.Done():
			return &interp.Error{Name: "Interrupted", Value: "interrupted while preparing the build cache"}
		}
	}
	if announced {
		out.Stream("stderr", fmt.Sprintf("gokernel: build cache ready in %.1f s\n", time.Since(start).Seconds()))
	}
	if e.warmErr != nil {
		// Try again: the cause (a full disk, a broken network for a module)
		// may be gone. Execute runs one cell at a time, and the background
		// warm-up has ended, so warmErr is ours to change.
		if err := e.build.warm(ctx, false, warmPackages); err != nil {
			return fmt.Errorf("engine: preparing the build cache: %w", err)
		}
		e.warmErr = nil
	}
	return nil
}

// Close stops the background work and removes the workspace.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	if e.stopCell != nil {
		e.stopCell()
	}
	e.mu.Unlock()
	e.stopWarm()
	e.background.Wait()
	e.ahead.builds.Close()
	e.execMu.Lock() // wait for the cancelled cell to end
	defer e.execMu.Unlock()
	reap.Settle(2 * time.Second) // the last cells' shepherds and cgroups
	e.build.diskAdds.Wait()      // binaries still being copied into the user's cache
	e.build.spares.close()       // the compiler waiting for the next cell
	return e.ws.remove()
}

// startRaceWarm starts building the race-enabled standard library in the
// background, once.
func (e *Engine) startRaceWarm() { e.build.startRaceWarm(e.warmCtx) }

// waitRaceWarm waits for the race-enabled standard library, printing
// progress on stderr while the user waits (≈7 s the first time ever).
func (e *Engine) waitRaceWarm(ctx context.Context, out interp.Output) error {
	done := e.build.startRaceWarm(e.warmCtx)
	select {
	case <-done:
		return e.build.raceWarmErr()
	default:
	}
	start := time.Now()
	out.Stream("stderr", "gokernel: building the race-enabled standard library (first %race cell only)...\n")
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			out.Stream("stderr", fmt.Sprintf("gokernel: race-enabled library ready in %.1f s\n", time.Since(start).Seconds()))
			return e.build.raceWarmErr()
		case <-tick.C:
			out.Stream("stderr", fmt.Sprintf("gokernel: still building the race-enabled library (%.0f s)...\n", time.Since(start).Seconds()))
		case <-ctx.Done():
			return &interp.Error{Name: "Interrupted", Value: "interrupted while building the race-enabled library"}
		}
	}
}
