package clienttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestHub flags. `go test ./kernel/clienttest -run Hub -v -students 20 | grep HUB:` is the
// whole-class benchmark; without -students the suite's quick run uses hubQuickStudents.
var (
	hubStudentsFlag = flag.Int("students", 20, "TestHub: simulated students in the class; when the flag is not given the quick run uses 3")
	hubThinkFlag    = flag.Duration("hub-think", 2*time.Second, "TestHub: a student's think time between cells (each pause is random, from half to 1.5 times this)")
	hubLessonFlag   = flag.String("hub-lesson", "03-locks.ipynb", "TestHub: the lesson every student runs, a notebook of notebooks/")
	hubDetachedFlag = flag.Bool("hub-detached-bomb", false, "TestHub: the hostile student's fork bomb detaches its copies (each exits once it has started two more); see hostileCells")
)

const hubQuickStudents = 3

// hubClassSize is the number of students: -students when given, else the quick run's.
func hubClassSize() int {
	n := hubQuickStudents
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "students" {
			n = *hubStudentsFlag
		}
	})
	return n
}

// hubOperatorLimits are the operator's per-cell ceilings, set in the spawner's environment
// (so every kernel of every student gets them). The hostile student runs into each.
var hubOperatorLimits = map[string]string{
	"GOKERNEL_TIMEOUT":      "60s",
	"GOKERNEL_LIMIT_MEMORY": "512MB",
	"GOKERNEL_LIMIT_PROCS":  "128",
	"GOKERNEL_LIMIT_CPU":    "10s",
	"GOKERNEL_LIMIT_OUTPUT": "2MB",
}

// Idle culling by the single-user server (Debian has no jupyterhub-idle-culler): a kernel
// idle for hubCullIdle is shut down even with a browser tab connected, checked every
// hubCullInterval; a server with no kernel activity for hubServerIdle stops itself, and
// the hub notices within its poll interval. Short here so the test sees it happen.
const (
	hubCullIdle     = 20 * time.Second
	hubCullInterval = 5 * time.Second
	hubServerIdle   = 40 * time.Second
	hubPollInterval = 5 * time.Second
	// hubUserProcs is RLIMIT_NPROC (ulimit -u) for each student's server and everything under
	// it: with one uid per student it caps what any one student can start, a backstop
	// well above gokernel's own per-cell GOKERNEL_LIMIT_PROCS. It must leave the student's
	// kernel room: at the cap the kernel itself can no longer start a thread.
	hubUserProcs = 2048
)

// TestHub runs a class on a real JupyterHub (Debian's, with configurable-http-proxy from
// npm and the default LocalProcessSpawner, one system user per student) after installing
// gokernel once, as root, with deploy/install-gokernel.sh (the script deploy/Dockerfile
// runs). First one student runs the lesson alone (the baseline); then the class runs it at
// once, cell by cell with think time, while a hostile student runs a fork bomb, a memory
// hog and an endless print, and an idle student's kernel and server are culled. Figures
// are logged as "HUB:" lines. It fails when a student is not served, a lesson cell ends
// other than the lesson says, a hostile cell is not stopped with a clear error, culling
// does not happen, or anything (kernel, process, file in /tmp) is left after logout.
func TestHub(t *testing.T) {
	if testing.Short() {
		t.Skip("TestHub runs a JupyterHub with a class of students for minutes; skipped with -short")
	}
	n := hubClassSize()
	if os.Geteuid() != 0 {
		missing(t, "root (the hub runs each student as a system user it creates)", fmt.Errorf("running as uid %d", os.Geteuid()))
	}
	jupyterhub := requireCommand(t, "jupyterhub")
	singleuser := requireCommand(t, "jupyterhub-singleuser")
	bash := requireCommand(t, "bash")
	goTool := requireCommand(t, "go")
	requirePython(t, "jupyterhub", "jupyter_server")
	if err := othersCanReach(goTool); err != nil {
		missing(t, "a Go toolchain every student can run (a system-wide Go, not one under root's home)", err)
	}
	removeStaleHubAccounts(t)

	env := newJupyterEnv(t)
	// Students traverse the scratch directory to reach the install; the hub's own state
	// and each home stay private below it.
	if err := os.Chmod(env.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	proxyDir := testdata(t, "hub")
	requireNodeModules(t, env, proxyDir)
	proxy := filepath.Join(proxyDir, "node_modules", ".bin", "configurable-http-proxy")
	if _, err := os.Stat(proxy); err != nil {
		missing(t, "configurable-http-proxy (npm install in "+proxyDir+")", err)
	}
	budget := 10*time.Minute + time.Duration(n)*8*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	t.Logf("HUB: machine: %d cores, load average %.1f, %s of memory in use before the test; class of %d students, lesson %s, think time %s, time budget %s",
		runtime.NumCPU(), loadAverage(), gib(memoryUsedKB()), n, *hubLessonFlag, *hubThinkFlag, budget)

	// The operator's install: one root install of the binary, kernelspec and lessons.
	root := moduleRoot(t)
	trackModuleFiles(t, root)
	prefix := filepath.Join(env.dir, "opt", "gokernel")
	start := time.Now()
	if out, err := env.runClient(t, 10*time.Minute, root, "sh", filepath.Join(root, "deploy", "install-gokernel.sh"), "--prefix", prefix); err != nil {
		t.Fatalf("deploy/install-gokernel.sh --prefix %s: %v\n%s", prefix, err, out)
	}
	kernelBin := filepath.Join(prefix, "bin", "gokernel")
	lessons := filepath.Join(prefix, "share", "gokernel", "lessons")
	if _, err := os.Stat(filepath.Join(lessons, *hubLessonFlag)); err != nil {
		t.Fatalf("-hub-lesson %s is not among the installed lessons: %v", *hubLessonFlag, err)
	}
	kernelName, err := findKernelspec(filepath.Join(prefix, "share", "jupyter", "kernels"), kernelBin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("HUB: install: deploy/install-gokernel.sh --prefix %s (build, kernelspec, prebuilt library, lessons) took %s",
		prefix, time.Since(start).Round(100*time.Millisecond))

	// One account per student, plus the baseline student, the hostile one and the idle one.
	tag := "gkh" + env.runID[:5] + "-"
	names := []string{tag + "solo", tag + "hostile", tag + "idle"}
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("%ss%02d", tag, i))
	}
	homes := filepath.Join(env.dir, "homes")
	if err := os.MkdirAll(homes, 0o755); err != nil {
		t.Fatal(err)
	}
	accounts := createSystemUsers(t, homes, names)
	uids := map[int]bool{}
	for _, a := range accounts {
		uids[a.uid] = true
	}
	solo, hostile, idler, class := accounts[0], accounts[1], accounts[2], accounts[3:]
	// Files in /tmp of a deleted account that had one of these uids are not the class's.
	staleTmp = map[string]bool{}
	for _, f := range filesOwnedBy("/tmp", uids) {
		staleTmp[f] = true
		t.Logf("ignoring %s: in /tmp before the class, owned by a uid now given to a student", f)
	}

	password := randomHex(t, 16)
	spawnEnv := map[string]string{
		"PATH":         filepath.Dir(goTool) + ":" + filepath.Join(prefix, "bin") + ":/usr/local/bin:/usr/bin:/bin",
		"JUPYTER_PATH": filepath.Join(prefix, "share", "jupyter"),
		"GOTOOLCHAIN":  "local",
		runMarkerVar:   env.runID,
	}
	for k, v := range hubOperatorLimits {
		spawnEnv[k] = v
	}
	hub := startHub(t, env, jupyterhub, hubSetup{
		users:    names,
		password: password,
		proxy:    []string{proxy},
		spawnerCmd: []string{bash, "-c", fmt.Sprintf(`ulimit -u %d && { [ -e "$HOME/lessons" ] || cp -R %s "$HOME/lessons"; } && exec %s "$@"`,
			hubUserProcs, shellQuote(lessons), shellQuote(singleuser)), "jupyterhub-singleuser"},
		spawnerArgs: []string{
			"--KernelSpecManager.allowed_kernelspecs=" + kernelName,
			fmt.Sprintf("--MappingKernelManager.cull_idle_timeout=%d", int(hubCullIdle.Seconds())),
			fmt.Sprintf("--MappingKernelManager.cull_interval=%d", int(hubCullInterval.Seconds())),
			"--MappingKernelManager.cull_connected=True",
			fmt.Sprintf("--ServerApp.shutdown_no_activity_timeout=%d", int(hubServerIdle.Seconds())),
		},
		spawnerEnv: spawnEnv,
	})
	lessonPath := "lessons/" + *hubLessonFlag
	lesson := hubLesson{path: lessonPath, kernel: kernelName, think: *hubThinkFlag}

	// The baseline: one student alone on the hub, same lesson, same fresh account.
	base := runLessonStudent(ctx, hub, solo, password, lesson, true)
	t.Logf("HUB: baseline, one student alone: %s", base.summary())
	if base.err != nil || base.failed > 0 {
		t.Errorf("the baseline student was not served: %v %s", base.err, strings.Join(base.problems, "; "))
	}
	if left := waitNoProcesses(map[int]bool{solo.uid: true}, 20*time.Second); len(left) > 0 {
		t.Errorf("after the baseline student logged out, processes are left:\n%s", describeProcesses(left))
	}

	// The class, the hostile student and the idle student, all at once.
	sampler := startMachineSampler(uids)
	classStart := time.Now()
	reports := make([]studentReport, len(class))
	var wg sync.WaitGroup
	var hostileReport hostileResult
	var idleReport idleResult
	wg.Add(2)
	go func() {
		defer wg.Done()
		hostileReport = runHostileStudent(ctx, hub, hostile, password, kernelName, class[0].home, sampler)
	}()
	go func() { defer wg.Done(); idleReport = runIdleStudent(ctx, hub, idler, password, kernelName, kernelBin) }()
	for i, a := range class {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Students arrive over the first seconds, not in the same millisecond.
			time.Sleep(time.Duration(i) * 300 * time.Millisecond)
			reports[i] = runLessonStudent(ctx, hub, a, password, lesson, i%2 == 0)
		}()
	}
	wg.Wait()
	classTime := time.Since(classStart)
	sampler.Stop()

	// What each student saw.
	served, cells, failed := 0, 0, 0
	var all, firsts, later []time.Duration
	for _, r := range reports {
		t.Logf("HUB: student %s: %s", strings.TrimPrefix(r.name, tag), r.summary())
		if r.err == nil && r.cells == len(r.latencies) {
			served++
		}
		cells += r.cells
		failed += r.failed
		all = append(all, r.latencies...)
		if len(r.latencies) > 0 {
			firsts = append(firsts, r.latencies[0])
			later = append(later, r.latencies[1:]...)
		}
		if r.err != nil || r.failed > 0 {
			t.Errorf("student %s: %v %s", r.name, r.err, strings.Join(r.problems, "; "))
		}
	}
	t.Logf("HUB: class: %d of %d students served (logged in, server started, lesson run, logged out) in %s; %d cells run, %d failed",
		served, len(class), classTime.Round(time.Second), cells, failed)
	t.Logf("HUB: class execute_reply latency: all cells %s; first cell of each student %s; later cells %s",
		latencyFigures(all), latencyFigures(firsts), latencyFigures(later))
	t.Logf("HUB: hostile student: %s", hostileReport.summary())
	for _, p := range hostileReport.problems {
		t.Errorf("hostile student: %s", p)
	}
	t.Logf("HUB: idle culling: %s", idleReport.summary())
	for _, p := range idleReport.problems {
		t.Errorf("idle student: %s", p)
	}
	t.Logf("HUB: peak memory: machine %s in use (%s before the class started, other programs included); the class's own processes %s RSS in %d processes at most; load average peak %.1f",
		gib(sampler.peakUsedKB), gib(sampler.startUsedKB), gib(sampler.peakClassKB), sampler.peakClassProcs, sampler.peakLoad)

	// After everyone logged out: no server, kernel, process or /tmp file of any student.
	// A fresh context: the checks must run even when the class used up its budget.
	checkCtx, checkCancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer checkCancel()
	checkNothingLeft(t, checkCtx, hub, uids, kernelBin)
	hub.stop(t)
	env.sweepLeftovers(t)
	if t.Failed() {
		hub.dumpLog(t)
	}
}

// checkNothingLeft waits for the hub to list no running server, then counts the students'
// processes, kernels and files in /tmp: all must be 0.
func checkNothingLeft(t *testing.T, ctx context.Context, hub *hubSite, uids map[int]bool, kernelBin string) {
	t.Helper()
	start := time.Now()
	var running []string
	for {
		var users []hubUser
		if _, err := hub.admin.call(ctx, "GET", "/hub/api/users", nil, &users, http.StatusOK); err != nil {
			t.Errorf("listing the hub's users: %v", err)
			break
		}
		running = running[:0]
		for _, u := range users {
			if len(u.Servers) > 0 {
				running = append(running, u.Name)
			}
		}
		if len(running) == 0 || time.Since(start) > time.Minute {
			break
		}
		time.Sleep(time.Second)
	}
	procs := waitNoProcesses(uids, 20*time.Second)
	kernels := 0
	for _, p := range listProcesses() {
		if strings.HasPrefix(p.cmdline, kernelBin+" ") {
			kernels++
		}
	}
	files := filesOwnedBy("/tmp", uids)
	t.Logf("HUB: after all logged out: %d servers running, %d kernels, %d processes of students, %d files of students in /tmp (checked within %s)",
		len(running), kernels, len(procs), len(files), time.Since(start).Round(100*time.Millisecond))
	if len(running) > 0 {
		t.Errorf("servers still running a minute after every student logged out: %s", strings.Join(running, ", "))
	}
	if kernels > 0 || len(procs) > 0 {
		t.Errorf("left running after every student logged out (%d kernels):\n%s", kernels, describeProcesses(procs))
	}
	if len(files) > 0 {
		t.Errorf("left in /tmp by students: %s", strings.Join(files, ", "))
	}
}

// waitNoProcesses waits up to timeout for the uids to own no process and returns what is
// left then.
func waitNoProcesses(uids map[int]bool, timeout time.Duration) []procInfo {
	deadline := time.Now().Add(timeout)
	for {
		left := processesOf(uids)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// hubLesson is what every student of the class does.
type hubLesson struct {
	path   string // in the student's home, as the contents API names it
	kernel string // kernelspec name
	think  time.Duration
}

// studentReport is what one student saw.
type studentReport struct {
	name      string
	spawn     time.Duration // POST .../server until the hub says ready
	logout    time.Duration // GET /hub/logout, which stops the server
	cells     int           // cells of the lesson
	latencies []time.Duration
	failed    int
	problems  []string
	err       error // the student could not go on (login, spawn, websocket)
}

func (r studentReport) summary() string {
	if r.err != nil && len(r.latencies) == 0 {
		return "NOT SERVED: " + r.err.Error()
	}
	s := fmt.Sprintf("server started in %s, %d of %d cells run, execute_reply latency %s",
		r.spawn.Round(100*time.Millisecond), len(r.latencies), r.cells, latencyFigures(r.latencies))
	if len(r.latencies) > 0 {
		s += fmt.Sprintf(" (first cell %s)", r.latencies[0].Round(10*time.Millisecond))
	}
	s += fmt.Sprintf(", %d failed, logout %s", r.failed, r.logout.Round(100*time.Millisecond))
	if r.err != nil {
		s += "; STOPPED: " + r.err.Error()
	}
	return s
}

// latencyFigures is "median X / p95 Y / max Z".
func latencyFigures(d []time.Duration) string {
	if len(d) == 0 {
		return "(none)"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	p95 := s[(len(s)*95+99)/100-1]
	return fmt.Sprintf("median %s / p95 %s / max %s", roundLatency(s[len(s)/2]), roundLatency(p95), roundLatency(s[len(s)-1]))
}

func roundLatency(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}

// runLessonStudent is one student's session: log in, start the server, open the lesson,
// run its cells one by one with think time, then (when closeFirst) shut the notebook's
// kernel down as File > Close and Halt does, and log out.
func runLessonStudent(ctx context.Context, hub *hubSite, a systemUser, password string, lesson hubLesson, closeFirst bool) (r studentReport) {
	r.name = a.name
	s := newHubStudent(hub.base, a.name, password)
	if r.err = s.logIn(ctx); r.err != nil {
		return r
	}
	defer func() {
		start := time.Now()
		if err := s.logOut(ctx); err != nil && r.err == nil {
			r.err = fmt.Errorf("logging out: %w", err)
		}
		r.logout = time.Since(start)
	}()
	start := time.Now()
	if r.err = s.startServer(ctx); r.err != nil {
		return r
	}
	r.spawn = time.Since(start)
	cells, err := s.openLesson(ctx, lesson.path)
	if err != nil {
		r.err = fmt.Errorf("opening %s: %w", lesson.path, err)
		return r
	}
	r.cells = len(cells)
	kernelID, sessionID, err := s.startKernel(ctx, lesson.path, lesson.kernel)
	if err != nil {
		r.err = fmt.Errorf("starting a kernel: %w", err)
		return r
	}
	k, err := s.connect(kernelID, sessionID)
	if err != nil {
		r.err = fmt.Errorf("connecting to the kernel: %w", err)
		return r
	}
	defer k.Close()
	if r.err = k.waitKernelInfo(ctx); r.err != nil {
		return r
	}
	if r.err = s.waitWatched(ctx, k, kernelID); r.err != nil {
		return r
	}
	for i, cell := range cells {
		if i > 0 {
			sleepThink(ctx, lesson.think)
		}
		out, err := k.execute(ctx, cell.source)
		if err != nil {
			r.err = fmt.Errorf("cell %d: %w", i+1, err)
			r.failed++
			return r
		}
		r.latencies = append(r.latencies, out.latency)
		if problem := cell.check(out); problem != "" {
			r.failed++
			r.problems = append(r.problems, fmt.Sprintf("cell %d (%s): %s", i+1, firstLine(cell.source), problem))
		}
	}
	if closeFirst {
		if _, err := s.c.call(ctx, "DELETE", "/user/"+a.name+"/api/sessions/"+sessionID, nil, nil, http.StatusNoContent); err != nil {
			r.err = fmt.Errorf("closing the notebook: %w", err)
		}
	}
	return r
}

// check says what is wrong with a lesson cell's outcome, or "".
func (c lessonCell) check(o cellOutcome) string {
	switch {
	case c.wantError == "" && o.status != "ok":
		return "the lesson expects it to succeed; it ended " + o.String()
	case c.wantError != "" && o.status != "error":
		return "the lesson expects " + c.wantError + "; it ended " + o.String()
	case c.wantError != "" && c.wantError != "*" && o.ename != c.wantError:
		return "the lesson expects " + c.wantError + "; it ended " + o.String()
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) > 40 {
		line = line[:40] + "..."
	}
	return line
}

// sleepThink pauses a random time between half and 1.5 times think.
func sleepThink(ctx context.Context, think time.Duration) {
	if think <= 0 {
		return
	}
	r, _ := rand.Int(rand.Reader, big.NewInt(int64(think)))
	select {
	case <-ctx.Done():
	case <-time.After(think/2 + time.Duration(r.Int64())):
	}
}

// hostileCell is one thing a hostile student tries and how it must end.
type hostileCell struct {
	what  string
	code  string
	check func(o cellOutcome) string // "" when the cell ended as it must
}

// hostileCells are a fork bomb, a memory hog, an endless print, a look into another
// student's home and, last, a cell showing the kernel still serves.
func hostileCells(otherHome string, detachedBomb bool) []hostileCell {
	limitError := func(ename, about string) func(o cellOutcome) string {
		return func(o cellOutcome) string {
			if o.status == "error" && o.ename == ename && strings.Contains(o.evalue, about) {
				return ""
			}
			return fmt.Sprintf("want %s naming the %s limit, have %s", ename, about, o)
		}
	}
	outputCap := int(2 << 20) // GOKERNEL_LIMIT_OUTPUT
	// Every copy of the bomb starts two more and waits for them: the copies stay in the
	// cell's process tree. Nine generations (1023 copies) are far past the cell's process
	// limit, yet below the student's RLIMIT_NPROC, so a kernel that failed to stop it would
	// still not take the machine (shared with other work) down with it.
	bomb := `cmd := exec.Command("bash", "-c", "bomb() { if [ $1 -lt 9 ]; then bomb $(($1+1)) & bomb $(($1+1)); wait; else sleep 600; fi; }; bomb 0")
fmt.Println(cmd.Run())`
	if detachedBomb {
		// The classic shape: each copy exits once it has started two more, so the live
		// copies are orphans, outside the cell's process tree, and the bomb grows until the
		// student's RLIMIT_NPROC. Before cells ran under kernel/reap's shepherd, this escaped
		// the kernel's process count, crashed the kernel at the cap (its runtime could not
		// start a thread) and outlived it. Under the shepherd it is stopped (the memory limit
		// of the whole subtree, after 6.9 s at 1977 processes) and nothing is left. Opt-in:
		// it comes close to the student's RLIMIT_NPROC and loads the whole machine.
		bomb = `cmd := exec.Command("bash", "-c", "bomb() { bomb | bomb & }; bomb; sleep 600")
fmt.Println(cmd.Run())`
	}
	return []hostileCell{
		{"fork bomb", bomb, func(o cellOutcome) string {
			// A thousand shells pass the memory limit about when they pass the process
			// limit: either stops the cell, whichever the kernel sees first.
			if p := limitError("LimitExceeded", "process")(o); p == "" {
				return ""
			}
			return limitError("LimitExceeded", "memory")(o)
		}},
		{"memory hog", `var hog [][]byte
for {
	b := make([]byte, 64<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1 // touch every page so it is really used
	}
	hog = append(hog, b)
}`, limitError("LimitExceeded", "memory")},
		{"endless print", `for i := 0; ; i++ {
	fmt.Println("line", i, "of a cell that never stops printing")
}`, func(o cellOutcome) string {
			if o.status != "error" || (o.ename != "Timeout" && o.ename != "LimitExceeded") {
				return "want Timeout or LimitExceeded, have " + o.String()
			}
			if o.outputBytes > outputCap+64<<10 {
				return fmt.Sprintf("%d bytes of output reached the browser, over the %d output limit", o.outputBytes, outputCap)
			}
			return ""
		}},
		{"reading another student's home", fmt.Sprintf(`_, err := os.ReadDir(%q)
fmt.Println("other home:", err)`, otherHome), func(o cellOutcome) string {
			if o.status == "ok" && strings.Contains(o.stdout, "permission denied") {
				return ""
			}
			return fmt.Sprintf("want permission denied, have %s %q", o, o.stdout)
		}},
		{"a cell after all that", `fmt.Println("still here")`, func(o cellOutcome) string {
			if o.status == "ok" && strings.Contains(o.stdout, "still here") {
				return ""
			}
			return fmt.Sprintf("the kernel does not serve the next cell: %s %q", o, o.stdout)
		}},
	}
}

// hostileResult is what the hostile student's cells did.
type hostileResult struct {
	lines    []string
	problems []string
}

func (h hostileResult) summary() string {
	if len(h.lines) == 0 {
		return "did not run: " + strings.Join(h.problems, "; ")
	}
	return strings.Join(h.lines, "; ")
}

// runHostileStudent logs in like everyone else and runs hostileCells in a notebook of its own.
func runHostileStudent(ctx context.Context, hub *hubSite, a systemUser, password, kernelName, otherHome string, sampler *machineSampler) (h hostileResult) {
	fail := func(err error) hostileResult {
		h.problems = append(h.problems, err.Error())
		return h
	}
	s := newHubStudent(hub.base, a.name, password)
	if err := s.logIn(ctx); err != nil {
		return fail(err)
	}
	defer func() {
		if err := s.logOut(ctx); err != nil {
			h.problems = append(h.problems, "logging out: "+err.Error())
		}
	}()
	if err := s.startServer(ctx); err != nil {
		return fail(err)
	}
	kernelID, sessionID, err := s.startKernel(ctx, "mischief.ipynb", kernelName)
	if err != nil {
		return fail(err)
	}
	k, err := s.connect(kernelID, sessionID)
	if err != nil {
		return fail(err)
	}
	defer k.Close()
	if err := k.waitKernelInfo(ctx); err != nil {
		return fail(err)
	}
	if err := s.waitWatched(ctx, k, kernelID); err != nil {
		return fail(err)
	}
	for _, c := range hostileCells(otherHome, *hubDetachedFlag) {
		// Each cell is bounded on its own, so a cell that is never answered leaves the
		// class's time budget to the others.
		cellCtx, cancel := context.WithTimeout(ctx, 4*time.Minute)
		o, err := k.execute(cellCtx, c.code)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("%s: %w", c.what, err))
		}
		verdict := "contained"
		if p := c.check(o); p != "" {
			verdict = "NOT CONTAINED"
			h.problems = append(h.problems, c.what+": "+p)
		}
		line := fmt.Sprintf("%s -> %s after %s, %s", c.what, o, roundLatency(o.latency), verdict)
		if c.what == "fork bomb" {
			line += fmt.Sprintf(" (the student's processes peaked at %d; ulimit -u %d)", sampler.peakOf(a.uid), hubUserProcs)
		}
		if c.what == "endless print" {
			line += fmt.Sprintf(" (%.1f MB of output reached the client)", float64(o.outputBytes)/1e6)
		}
		h.lines = append(h.lines, line)
		sleepThink(ctx, time.Second)
	}
	return h
}

// idleResult is what happened to the idle student's kernel and server.
type idleResult struct {
	kernelGone, serverGone time.Duration // after the student's last cell
	leftProcs, leftFiles   int
	problems               []string
}

func (r idleResult) summary() string {
	if r.kernelGone == 0 {
		return "did not happen: " + strings.Join(r.problems, "; ")
	}
	return fmt.Sprintf("kernel culled %s after the student's last cell (cull_idle_timeout %s, tab still open), server stopped itself and left the hub %s after it (shutdown_no_activity_timeout %s); then %d processes and %d files in /tmp of that student",
		r.kernelGone.Round(time.Second), hubCullIdle, r.serverGone.Round(time.Second), hubServerIdle, r.leftProcs, r.leftFiles)
}

// runIdleStudent runs one cell, keeps the notebook open and walks away. The single-user
// server must cull the kernel, then stop itself; the hub must see the server gone; and
// nothing of the student may be left.
func runIdleStudent(ctx context.Context, hub *hubSite, a systemUser, password, kernelName, kernelBin string) (r idleResult) {
	fail := func(err error) idleResult {
		r.problems = append(r.problems, err.Error())
		return r
	}
	s := newHubStudent(hub.base, a.name, password)
	if err := s.logIn(ctx); err != nil {
		return fail(err)
	}
	if err := s.startServer(ctx); err != nil {
		return fail(err)
	}
	kernelID, sessionID, err := s.startKernel(ctx, "idle.ipynb", kernelName)
	if err != nil {
		return fail(err)
	}
	k, err := s.connect(kernelID, sessionID)
	if err != nil {
		return fail(err)
	}
	defer k.Close()
	if err := k.waitKernelInfo(ctx); err != nil {
		return fail(err)
	}
	if err := s.waitWatched(ctx, k, kernelID); err != nil {
		return fail(err)
	}
	if o, err := k.execute(ctx, `fmt.Println("back in a minute")`); err != nil || o.status != "ok" {
		return fail(fmt.Errorf("the idle student's cell: %v %v", o, err))
	}
	last := time.Now()
	uid := map[int]bool{a.uid: true}
	kernelRunning := func() bool {
		for _, p := range processesOf(uid) {
			if strings.HasPrefix(p.cmdline, kernelBin+" ") {
				return true
			}
		}
		return false
	}
	bound := hubCullIdle + hubCullInterval + time.Minute
	for kernelRunning() {
		if time.Since(last) > bound {
			return fail(fmt.Errorf("kernel not culled %s after the last cell", bound))
		}
		time.Sleep(250 * time.Millisecond)
	}
	r.kernelGone = time.Since(last)
	if r.kernelGone < hubCullIdle {
		r.problems = append(r.problems, fmt.Sprintf("kernel gone %s after its last cell, before cull_idle_timeout %s", r.kernelGone, hubCullIdle))
	}
	bound = hubCullIdle + hubServerIdle + hubPollInterval + 2*time.Minute
	for {
		var u hubUser
		if _, err := hub.admin.call(ctx, "GET", "/hub/api/users/"+a.name, nil, &u, http.StatusOK); err != nil {
			return fail(err)
		}
		if len(u.Servers) == 0 {
			break
		}
		if time.Since(last) > bound {
			return fail(fmt.Errorf("the idle server still listed by the hub %s after the last cell", bound))
		}
		time.Sleep(time.Second)
	}
	r.serverGone = time.Since(last)
	left := waitNoProcesses(uid, 20*time.Second)
	r.leftProcs = len(left)
	files := filesOwnedBy("/tmp", uid)
	r.leftFiles = len(files)
	if len(left) > 0 {
		r.problems = append(r.problems, "processes left after the idle server stopped:\n"+describeProcesses(left))
	}
	if len(files) > 0 {
		r.problems = append(r.problems, "files left in /tmp: "+strings.Join(files, ", "))
	}
	if err := s.logOut(ctx); err != nil {
		r.problems = append(r.problems, "logging out: "+err.Error())
	}
	return r
}

// hubSetup is what varies in the hub's configuration.
type hubSetup struct {
	users       []string
	password    string   // DummyAuthenticator's shared password
	proxy       []string // configurable-http-proxy command
	spawnerCmd  []string
	spawnerArgs []string
	spawnerEnv  map[string]string
}

// hubSite is a running JupyterHub.
type hubSite struct {
	base  string // the proxy's public URL
	admin *hubClient
	log   string
	pid   int
	done  chan struct{}
	once  sync.Once
}

// startHub writes the configuration into a private directory, starts jupyterhub as root
// and waits until its API answers through the proxy. The hub is stopped when the test
// ends (hub.stop also stops every server, then the proxy).
func startHub(t *testing.T, env *jupyterEnv, jupyterhub string, s hubSetup) *hubSite {
	t.Helper()
	dir := filepath.Join(env.dir, "hub")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	port, hubPort, apiPort := freePort(t), freePort(t), freePort(t)
	adminToken := randomHex(t, 32)
	q := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(data) // JSON strings, lists and objects of strings are Python literals
	}
	config := strings.Join([]string{
		"# Written by TestHub (kernel/clienttest/hub_test.go) for one run.",
		"c = get_config()  # noqa",
		`c.JupyterHub.ip = "127.0.0.1"`,
		fmt.Sprintf("c.JupyterHub.port = %d", port),
		`c.JupyterHub.hub_ip = "127.0.0.1"`,
		fmt.Sprintf("c.JupyterHub.hub_port = %d", hubPort),
		fmt.Sprintf(`c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d"`, apiPort),
		"c.ConfigurableHTTPProxy.command = " + q(s.proxy),
		"c.ConfigurableHTTPProxy.pid_file = " + q(filepath.Join(dir, "proxy.pid")),
		"c.JupyterHub.pid_file = " + q(filepath.Join(dir, "hub.pid")),
		"c.JupyterHub.db_url = " + q("sqlite:///"+filepath.Join(dir, "jupyterhub.sqlite")),
		"c.JupyterHub.cookie_secret_file = " + q(filepath.Join(dir, "cookie_secret")),
		`c.JupyterHub.authenticator_class = "dummy"`,
		"c.DummyAuthenticator.password = " + q(s.password),
		"c.Authenticator.allowed_users = set(" + q(s.users) + ")",
		`c.JupyterHub.services = [{"name": "hubtest-admin", "api_token": ` + q(adminToken) + `}]`,
		`c.JupyterHub.load_roles = [{"name": "admin", "services": ["hubtest-admin"]}]`,
		"c.JupyterHub.shutdown_on_logout = True",
		`c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"`,
		"c.Spawner.cmd = " + q(s.spawnerCmd),
		"c.Spawner.args = " + q(s.spawnerArgs),
		"c.Spawner.environment = " + q(s.spawnerEnv),
		"c.Spawner.start_timeout = 600",
		"c.Spawner.http_timeout = 600",
		fmt.Sprintf("c.Spawner.poll_interval = %d", int(hubPollInterval.Seconds())),
		"",
	}, "\n")
	configPath := filepath.Join(dir, "jupyterhub_config.py")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &hubSite{base: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(dir, "hub.log"), done: make(chan struct{})}
	h.admin = newHubClient(h.base, adminToken)
	logFile, err := os.Create(h.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := env.command(context.Background(), dir, jupyterhub, "-f", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting jupyterhub: %v", err)
	}
	h.pid = cmd.Process.Pid
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(h.done) }()
	t.Cleanup(func() { h.stop(t) })
	for {
		resp, err := http.Get(h.base + "/hub/api")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-h.done:
			h.dumpLog(t)
			t.Fatalf("jupyterhub exited at start: %v", exitErr)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Since(start) > 2*time.Minute {
			h.dumpLog(t)
			t.Fatalf("jupyterhub did not answer %s/hub/api within 2 minutes", h.base)
		}
	}
	t.Logf("HUB: JupyterHub up (answering through configurable-http-proxy at %s) in %s", h.base, time.Since(start).Round(10*time.Millisecond))
	return h
}

// stop sends the hub SIGTERM, which stops every single-user server and the proxy, and
// waits for it; a hub that does not stop within a minute is killed and the test fails.
func (h *hubSite) stop(t *testing.T) {
	h.once.Do(func() {
		_ = syscall.Kill(h.pid, syscall.SIGTERM)
		select {
		case <-h.done:
		case <-time.After(time.Minute):
			t.Errorf("jupyterhub did not stop within a minute of SIGTERM; killed")
			_ = syscall.Kill(-h.pid, syscall.SIGKILL)
			<-h.done
		}
	})
}

// dumpLog logs the end of the hub's log (the single-user servers log there too).
func (h *hubSite) dumpLog(t *testing.T) {
	data, err := os.ReadFile(h.log)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 150 {
		lines = lines[len(lines)-150:]
	}
	t.Logf("last lines of the hub's log %s:\n%s", h.log, strings.Join(lines, "\n"))
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// othersCanReach checks that every directory above path lets other users through and
// that path itself (a program, after symlinks) is executable by them.
func othersCanReach(path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(real)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o001 == 0 {
		return fmt.Errorf("%s is not executable by other users", real)
	}
	for dir := filepath.Dir(real); ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("other users cannot enter %s (mode %v), on the way to %s", dir, info.Mode().Perm(), real)
		}
		if dir == "/" {
			return nil
		}
	}
}

// shellQuote quotes s for bash.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
