package reap

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A cgroup of its own per cell, where the kernel may make one: below the
// kernel's own cgroup in the cgroup v2 hierarchy (root, or a delegated
// subtree such as a systemd user service's), else in a writable v1 "pids"
// or "freezer" hierarchy. The shepherd is moved into it before it starts the
// program, so everything the cell starts is born inside; ending the cell
// kills what is left in it (cgroup.kill on v2) and removes it. Where no
// cgroup can be made (an unprivileged user without delegation: the usual
// case on a hub), the shepherd's subtree is all there is, and is enough.

// EnvNoCgroup, set to 1, keeps cells out of cgroups even where the kernel
// could make them (tests of the subreaper alone; operators who manage
// cgroups themselves).
const EnvNoCgroup = "GOKERNEL_NO_CGROUP"

var (
	noCgroup  atomic.Bool // set after a cgroup could not be used
	cgroupSeq atomic.Int64
	// cgroupBase is where cell cgroups are made (a variable: tests try
	// each hierarchy).
	cgroupBase = sync.OnceValue(findCgroupBase)
)

// cgroupParent is where cell cgroups are made.
type cgroupParent struct {
	dir string
	v2  bool
}

type cgroup struct {
	dir string
	v2  bool
}

// CgroupKind says what the kernel would put cells in on this machine:
// "cgroup v2 at DIR", "cgroup v1 at DIR" or "none".
func CgroupKind() string {
	p := cgroupBase()
	switch {
	case p == nil || noCgroup.Load() || os.Getenv(EnvNoCgroup) == "1":
		return "none"
	case p.v2:
		return "cgroup v2 at " + p.dir
	}
	return "cgroup v1 at " + p.dir
}

// newCgroup makes a cgroup for one cell, or returns nil.
func newCgroup() *cgroup {
	p := cgroupBase()
	if p == nil || noCgroup.Load() || os.Getenv(EnvNoCgroup) == "1" {
		return nil
	}
	dir := filepath.Join(p.dir, fmt.Sprintf("gokernel-%d-cell%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		noCgroup.Store(true)
		return nil
	}
	return &cgroup{dir: dir, v2: p.v2}
}

// findCgroupBase finds a cgroup directory below the kernel's own where it
// may make cgroups and move processes, trying v2 first.
func findCgroupBase() *cgroupParent {
	mounts, own := cgroupMounts(), ownCgroups()
	if p := usableCgroupParent(mounts["cgroup2"], own[""], true); p != nil {
		p.sweep()
		return p
	}
	for _, ctrl := range []string{"pids", "freezer"} {
		if p := usableCgroupParent(mounts[ctrl], own[ctrl], false); p != nil {
			p.sweep()
			return p
		}
	}
	return nil
}

// sweep removes the empty cell cgroups of kernels that are gone (one
// killed before it could remove them). A cgroup that still holds a
// process cannot be removed and stays.
func (p *cgroupParent) sweep() {
	entries, _ := os.ReadDir(p.dir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "gokernel-")
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + pidText); err == nil {
			continue // that kernel still runs
		}
		os.Remove(filepath.Join(p.dir, e.Name()))
	}
}

// usableCgroupParent returns mount/rel when this process may make cgroups
// there and move processes into them, else nil.
func usableCgroupParent(mount, rel string, v2 bool) *cgroupParent {
	if mount == "" {
		return nil
	}
	dir := filepath.Join(mount, rel)
	probe := filepath.Join(dir, fmt.Sprintf("gokernel-%d-probe", os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil {
		return nil
	}
	defer os.Remove(probe)
	// Moving a process needs write access to cgroup.procs of the common
	// ancestor (our own cgroup) and of the target.
	if syscall.Access(filepath.Join(dir, "cgroup.procs"), 2) != nil || syscall.Access(filepath.Join(probe, "cgroup.procs"), 2) != nil {
		return nil
	}
	return &cgroupParent{dir: dir, v2: v2}
}

// cgroupMounts maps "cgroup2" and v1 controller names to mount points.
func cgroupMounts() map[string]string {
	m := map[string]string{}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 || pf[3] != "/" {
			continue
		}
		switch qf[0] {
		case "cgroup2":
			if m["cgroup2"] == "" {
				m["cgroup2"] = pf[4]
			}
		case "cgroup":
			for _, opt := range strings.Split(qf[2], ",") {
				if m[opt] == "" {
					m[opt] = pf[4]
				}
			}
		}
	}
	return m
}

// ownCgroups maps "" (v2) and v1 controller names to this process's cgroup path.
func ownCgroups() map[string]string {
	m := map[string]string{}
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return m
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			m[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			m[c] = parts[2]
		}
	}
	return m
}

// add moves pid into the cgroup.
func (g *cgroup) add(pid int) error {
	return os.WriteFile(filepath.Join(g.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
}

// procs lists the processes in the cgroup.
func (g *cgroup) procs() []int {
	data, err := os.ReadFile(filepath.Join(g.dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// kill ends every process in the cgroup and waits until it is empty.
func (g *cgroup) kill() error {
	if g.v2 {
		os.WriteFile(filepath.Join(g.dir, "cgroup.kill"), []byte("1"), 0)
	}
	giveUp := time.Now().Add(5 * time.Second)
	for time.Now().Before(giveUp) {
		left := living(g.procs())
		if len(left) == 0 {
			return nil
		}
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("cgroup %s: processes left after SIGKILL: %v", g.dir, g.procs())
}

// remove deletes the (empty) cgroup; zombies still counted keep it a
// moment, so it retries briefly.
func (g *cgroup) remove() {
	for i := 0; i < 100; i++ {
		err := os.Remove(g.dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
