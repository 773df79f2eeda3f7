package reap

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a process that starts a cell and then waits
// to be killed (TestKernelDeathEndsCell): see TestMain.
const (
	helperEnv          = "GOKERNEL_REAP_TEST_HELPER"
	helperSpareEnv     = "GOKERNEL_REAP_TEST_HELPER_SPARE" // the helper's cell uses a spare shepherd
	helperIdleSpareEnv = "GOKERNEL_REAP_TEST_IDLE_SPARE"
	deletedEnv         = "GOKERNEL_REAP_TEST_DELETED"
)

// TestKernelBinaryReplaced starts a cell from a kernel whose binary was
// removed while it ran (as `go install` over a running kernel does).
func TestKernelBinaryReplaced(t *testing.T) {
	bin := t.TempDir() + "/kernel"
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), deletedEnv+"=1", EnvNoCgroup+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "cell ran") {
		t.Errorf("have %v %q, want the cell to run", err, out)
	}
	if _, err := os.Stat(bin); err == nil {
		t.Error("the binary was not removed: the test tests nothing")
	}
}

func TestMain(m *testing.M) {
	if os.Getenv(deletedEnv) != "" {
		// Our binary is gone (an upgrade replaced it): cells still start.
		exe, _ := os.Executable()
		os.Remove(exe)
		c, err := Start(Spec{Path: "/bin/echo", Args: []string{"cell ran"}, Stdout: os.Stdout})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		<-c.Exited()
		c.End(0)
		os.Exit(0)
	}
	if script := os.Getenv(helperEnv); script != "" {
		os.Unsetenv(helperEnv)
		spare := 0
		if os.Getenv(helperSpareEnv) == "1" {
			if spare = spareForTest(); spare == 0 {
				fmt.Println("error no spare shepherd")
				os.Exit(1)
			}
		}
		c, err := Start(Spec{Path: "/bin/sh", Args: []string{"-c", script}, Stdout: os.Stdout, Stderr: os.Stderr})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if spare != 0 && c.Shepherd != spare {
			fmt.Println("error the spare shepherd was not used")
			os.Exit(1)
		}
		fmt.Println("started", c.PID)
		select {} // until killed
	}
	if os.Getenv(helperIdleSpareEnv) == "1" {
		// A kernel with a spare shepherd it never uses, until killed.
		fmt.Println("spare", spareForTest())
		time.Sleep(time.Hour) // (select{} would be a deadlock the runtime ends)
	}
	os.Exit(m.Run())
}

// detachings are the ways a cell's process leaves its parent, group or
// session. Each script starts `sleep MARKER` that way and exits at once.
var detachings = []struct{ name, script string }{
	{"plain background child", `sleep %[1]s >/dev/null 2>&1 </dev/null &`},
	{"setsid", `setsid sh -c 'sleep %[1]s >/dev/null 2>&1 </dev/null & echo $!'`},
	{"double fork", `( sleep %[1]s >/dev/null 2>&1 </dev/null & ) ; true`},
	{"nohup &", `nohup sleep %[1]s >/dev/null 2>&1 </dev/null &`},
	{"own process group (setsid -f, then a new group by job control)", `setsid -f bash -c 'set -m; sleep %[1]s >/dev/null 2>&1 </dev/null & true' >/dev/null 2>&1`},
	{"holding the output pipe", `setsid sleep %[1]s &`},
}

// TestDetachedProcessesEnd runs each way of detaching under a shepherd and
// checks that the detached process is alive when the program has exited
// (so it did detach) and gone within 1 s of End.
func TestDetachedProcessesEnd(t *testing.T) {
	for _, how := range startWays {
		for _, cgroups := range []bool{false, true} {
			for _, d := range detachings {
				name := how.name + "/" + d.name
				if cgroups {
					name += " (cgroup: " + CgroupKind() + ")"
				}
				t.Run(name, func(t *testing.T) {
					if !cgroups {
						t.Setenv(EnvNoCgroup, "1")
					} else if CgroupKind() == "none" {
						t.Skipf("no cgroup the kernel may make on this machine (%s unset); the subreaper alone is tested above", EnvNoCgroup)
					}
					marker := newMarker()
					r, w, err := os.Pipe()
					if err != nil {
						t.Fatal(err)
					}
					defer r.Close()
					c, err := how.start(t, Spec{Path: "/bin/sh", Args: []string{"-c", fmt.Sprintf(d.script, marker)}, Stdout: w, Stderr: w})
					w.Close()
					if err != nil {
						t.Fatal(err)
					}
					select {
					case <-c.Exited():
					case <-time.After(10 * time.Second):
						t.Fatal("the program did not exit")
					}
					if st := c.State(); !st.Success() {
						t.Errorf("program ended with %v, want exit status 0", st)
					}
					if waitFor(func() bool { return len(withMarker(marker)) > 0 }, 5*time.Second) != nil {
						t.Fatalf("the detached `sleep %s` never ran", marker)
					}
					ended := time.Now()
					if err := c.End(250 * time.Millisecond); err != nil {
						t.Error(err)
					}
					if err := waitFor(func() bool { return len(withMarker(marker)) == 0 }, time.Second-time.Since(ended)); err != nil {
						t.Errorf("`sleep %s` still alive 1 s after the cell ended: pids %v", marker, withMarker(marker))
						for _, pid := range withMarker(marker) {
							syscall.Kill(pid, syscall.SIGKILL)
						}
					}
					if alive(c.Shepherd) {
						t.Errorf("shepherd %d still alive after End", c.Shepherd)
					}
				})
			}
		}
	}
}

// TestKernelDeathEndsCell SIGKILLs the process that started a cell (the
// kernel): the shepherd sees its control pipe close and ends the cell.
func TestKernelDeathEndsCell(t *testing.T) {
	for _, how := range startWays {
		t.Run(how.name, func(t *testing.T) { testKernelDeathEndsCell(t, how.name == "spare") })
	}
}

func testKernelDeathEndsCell(t *testing.T, spare bool) {
	t.Setenv(EnvNoCgroup, "1") // the cgroup would be left behind with the kernel; the subtree is what is tested
	marker := newMarker()
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), helperEnv+"="+fmt.Sprintf(`setsid sh -c 'sleep %s >/dev/null 2>&1 </dev/null &'; sleep 600`, marker))
	if spare {
		helper.Env = append(helper.Env, helperSpareEnv+"=1")
	}
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Process.Kill()
	buf := make([]byte, 100)
	n, _ := out.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "started") {
		t.Fatalf("helper said %q", buf[:n])
	}
	if waitFor(func() bool { return len(withMarker(marker)) > 0 }, 5*time.Second) != nil {
		t.Fatalf("the detached `sleep %s` never ran", marker)
	}
	killed := time.Now()
	helper.Process.Kill()
	helper.Wait()
	if err := waitFor(func() bool { return len(withMarker(marker)) == 0 }, time.Second); err != nil {
		t.Errorf("`sleep %s` still alive %v after the kernel was killed", marker, time.Since(killed).Round(time.Millisecond))
		for _, pid := range withMarker(marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestExitStates checks what Start reports of how the program ended.
func TestExitStates(t *testing.T) {
	t.Setenv(EnvNoCgroup, "1")
	for _, how := range startWays {
		for _, tt := range []struct{ script, want string }{
			{"exit 0", "exit status 0"},
			{"exit 3", "exit status 3"},
			{"kill -9 $$", "signal: killed"},
		} {
			c, err := how.start(t, Spec{Path: "/bin/sh", Args: []string{"-c", tt.script}})
			if err != nil {
				t.Fatal(err)
			}
			<-c.Exited()
			if have := c.State().String(); have != tt.want {
				t.Errorf("%s: %q: have %q want %q", how.name, tt.script, have, tt.want)
			}
			c.End(0)
		}
		if _, err := how.start(t, Spec{Path: "/no/such/program"}); err == nil || !strings.Contains(err.Error(), "no such file") {
			t.Errorf("%s: starting a missing program: have %v, want an error naming it", how.name, err)
		}
	}
}

func newMarker() string { return strconv.Itoa(400000 + rand.IntN(500000)) }

// withMarker lists living processes running `sleep MARKER`.
func withMarker(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		if strings.Join(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), " ") == "sleep "+marker && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func alive(pid int) bool {
	s := state(pid)
	return s != 0 && s != 'Z'
}

func waitFor(cond func() bool, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShepherdKilledFromInside has the cell kill its own shepherd (kill -9
// $PPID) after detaching a process: the orphans then belong to whoever
// adopts them, and the cell's end must still end them (from what the
// kernel noticed of the cell's processes).
func TestShepherdKilledFromInside(t *testing.T) {
	t.Setenv(EnvNoCgroup, "1") // the cgroup would catch them anyway
	marker := newMarker()
	c, err := Start(Spec{Path: "/bin/sh", Args: []string{"-c", fmt.Sprintf(`setsid sleep %s >/dev/null 2>&1 </dev/null & sleep 0.5; kill -9 $PPID; exec sleep 300`, marker)}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("the kernel did not notice its shepherd's death")
	}
	if !c.State().Lost {
		t.Errorf("state %v: want the shepherd reported lost", c.State())
	}
	if len(withMarker(marker)) == 0 {
		t.Fatalf("the detached `sleep %s` is not running", marker)
	}
	program := c.PID
	ended := time.Now()
	c.End(0)
	if err := waitFor(func() bool { return len(withMarker(marker)) == 0 && !alive(program) }, time.Second-time.Since(ended)); err != nil {
		t.Errorf("1 s after the end: sleep alive %v, program %d alive %v", withMarker(marker), program, alive(program))
		for _, pid := range append(withMarker(marker), program) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// BenchmarkStartEnd is what the shepherd adds to a cell: start /bin/true
// under it and end it, against starting and waiting for it directly.
//
//	go test -run '^$' -bench StartEnd ./kernel/reap
func BenchmarkStartEnd(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("/bin/true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("shepherd", func(b *testing.B) {
		b.Setenv(EnvNoCgroup, "1")
		for b.Loop() {
			c, err := Start(Spec{Path: "/bin/true"})
			if err != nil {
				b.Fatal(err)
			}
			<-c.Exited()
			c.End(0)
		}
	})
	b.Run("spare", func(b *testing.B) {
		b.Setenv(EnvNoCgroup, "1")
		for b.Loop() {
			b.StopTimer()
			if spareForTest() == 0 {
				b.Fatal("no spare shepherd")
			}
			time.Sleep(20 * time.Millisecond) // as long as a cell's build takes, or more
			b.StartTimer()
			c, err := Start(Spec{Path: "/bin/true"})
			if err != nil {
				b.Fatal(err)
			}
			<-c.Exited()
			c.End(0)
		}
	})
	b.Run("shepherd+cgroup", func(b *testing.B) {
		if CgroupKind() == "none" {
			b.Skip("no cgroup here")
		}
		for b.Loop() {
			c, err := Start(Spec{Path: "/bin/true"})
			if err != nil {
				b.Fatal(err)
			}
			<-c.Exited()
			c.End(0)
		}
	})
}

// TestCgroupEachHierarchy runs a detaching cell in a cgroup of each kind
// this machine lets the kernel make (v2, and v1 pids or freezer): the
// detached process is born in the cell's cgroup, is gone after End, and so
// is the cgroup.
func TestCgroupEachHierarchy(t *testing.T) {
	mounts, own := cgroupMounts(), ownCgroups()
	kinds := []struct {
		name   string
		parent *cgroupParent
	}{
		{"v2", usableCgroupParent(mounts["cgroup2"], own[""], true)},
		{"v1 pids", usableCgroupParent(mounts["pids"], own["pids"], false)},
		{"v1 freezer", usableCgroupParent(mounts["freezer"], own["freezer"], false)},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			if k.parent == nil {
				t.Skipf("this machine lets this process make no %s cgroup", k.name)
			}
			saved := cgroupBase
			cgroupBase = func() *cgroupParent { return k.parent }
			defer func() { cgroupBase = saved }()
			marker := newMarker()
			c, err := Start(Spec{Path: "/bin/sh", Args: []string{"-c", fmt.Sprintf(`setsid sleep %s >/dev/null 2>&1 </dev/null & sleep 0.3`, marker)}})
			if err != nil {
				t.Fatal(err)
			}
			if c.group == nil {
				t.Fatal("the cell got no cgroup")
			}
			if waitFor(func() bool { return len(withMarker(marker)) > 0 }, 5*time.Second) != nil {
				t.Fatal("the detached sleep never ran")
			}
			sleeper := withMarker(marker)[0]
			if !slices.Contains(c.group.procs(), sleeper) {
				t.Errorf("sleep %d is not in the cell's cgroup %s (holds %v)", sleeper, c.group.dir, c.group.procs())
			}
			<-c.Exited()
			c.End(0)
			if waitFor(func() bool { return !alive(sleeper) }, time.Second) != nil {
				t.Errorf("sleep %d alive 1 s after End", sleeper)
				syscall.Kill(sleeper, syscall.SIGKILL)
			}
			if waitFor(func() bool { _, err := os.Stat(c.group.dir); return err != nil }, 2*time.Second) != nil {
				t.Errorf("cgroup %s left behind", c.group.dir)
			}
		})
	}
}

// TestSweepStaleCgroups checks that the empty cell cgroups of a kernel
// that is gone are removed, and those of a living kernel kept.
func TestSweepStaleCgroups(t *testing.T) {
	mounts, own := cgroupMounts(), ownCgroups()
	p := usableCgroupParent(mounts["cgroup2"], own[""], true)
	if p == nil {
		p = usableCgroupParent(mounts["pids"], own["pids"], false)
	}
	if p == nil {
		t.Skip("this machine lets this process make no cgroup")
	}
	// A pid that is surely gone: a child we started and reaped.
	dead := exec.Command("/bin/true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pid      int
		wantGone bool
	}{
		{dead.Process.Pid, true},
		{os.Getppid(), false},
	} {
		dir := fmt.Sprintf("%s/gokernel-%d-cell1", p.dir, tt.pid)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p.sweep()
		_, err := os.Stat(dir)
		if gone := err != nil; gone != tt.wantGone {
			t.Errorf("cgroup of kernel %d: gone=%v, want %v", tt.pid, gone, tt.wantGone)
		}
		os.Remove(dir)
	}
}
