package clienttest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hubAccountComment marks the system users TestHub creates (the GECOS field), so a later
// run can remove accounts a crashed run left behind, and only those.
const hubAccountComment = "gokernel TestHub student"

// systemUser is one Linux account made for one simulated student: its own uid (so
// RLIMIT_NPROC and file permissions separate students) and a private home.
type systemUser struct {
	name string
	uid  int
	home string
}

// createSystemUsers makes a system account per name with a 0700 home under homes (useradd
// --system, a group of its own, no login shell) and removes them when the test ends,
// killing whatever they still run first (userdel refuses a user with live processes).
func createSystemUsers(t *testing.T, homes string, names []string) []systemUser {
	t.Helper()
	useradd, userdel := requireCommand(t, "useradd"), requireCommand(t, "userdel")
	var made []systemUser
	t.Cleanup(func() {
		uids := map[int]bool{}
		for _, u := range made {
			uids[u.uid] = true
		}
		if n := killProcessesOf(uids); n > 0 {
			t.Logf("killed %d processes of the test's students before removing them", n)
		}
		// What a failed run left in /tmp would otherwise belong to the next account
		// given the same uid.
		for _, f := range filesOwnedBy("/tmp", uids) {
			if err := os.RemoveAll(f); err != nil {
				t.Errorf("removing %s left by a student: %v", f, err)
			}
		}
		for _, u := range made {
			if out, err := exec.Command(userdel, u.name).CombinedOutput(); err != nil {
				t.Errorf("userdel %s: %v: %s", u.name, err, bytes.TrimSpace(out))
			}
		}
	})
	for _, name := range names {
		home := filepath.Join(homes, name)
		out, err := exec.Command(useradd, "--system", "--user-group", "--create-home", "--home-dir", home,
			"--shell", "/usr/sbin/nologin", "--comment", hubAccountComment, "-K", "HOME_MODE=0700", name).CombinedOutput()
		if err != nil {
			t.Fatalf("useradd %s: %v: %s", name, err, bytes.TrimSpace(out))
		}
		u, err := user.Lookup(name)
		if err != nil {
			t.Fatalf("the new user %s: %v", name, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		made = append(made, systemUser{name: name, uid: uid, home: home})
		// HOME_MODE is honoured by Debian 12's useradd; the chmod makes sure of it elsewhere.
		if err := os.Chmod(home, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return made
}

// removeStaleHubAccounts deletes accounts that an earlier TestHub run made and could not
// remove (the test binary was killed): those with hubAccountComment whose scratch
// directory is gone. Accounts of a run still going (its home exists) are left alone.
func removeStaleHubAccounts(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 7 || f[4] != hubAccountComment {
			continue
		}
		if _, err := os.Stat(filepath.Dir(filepath.Dir(f[5]))); err == nil {
			continue
		}
		uid, _ := strconv.Atoi(f[2])
		killProcessesOf(map[int]bool{uid: true})
		out, err := exec.Command("userdel", f[0]).CombinedOutput()
		t.Logf("removed the account %s left by an earlier run: %v %s", f[0], err, bytes.TrimSpace(out))
	}
}

// procInfo is what the test reads about one live process.
type procInfo struct {
	pid     int
	uid     int
	rssKB   int64
	cmdline string
}

// listProcesses reads every live (non-zombie) process from /proc.
func listProcesses() []procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var procs []procInfo
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "status"))
		if err != nil {
			continue // gone meanwhile
		}
		p := procInfo{pid: pid, uid: -1}
		zombie := false
		sc := bufio.NewScanner(bytes.NewReader(status))
		for sc.Scan() {
			key, value, _ := strings.Cut(sc.Text(), ":")
			fields := strings.Fields(value)
			switch {
			case key == "State" && len(fields) > 0:
				zombie = fields[0] == "Z" || fields[0] == "X"
			case key == "Uid" && len(fields) > 0:
				p.uid, _ = strconv.Atoi(fields[0])
			case key == "VmRSS" && len(fields) > 0:
				p.rssKB, _ = strconv.ParseInt(fields[0], 10, 64)
			}
		}
		if zombie {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		p.cmdline = strings.TrimSpace(string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		procs = append(procs, p)
	}
	return procs
}

// processesOf lists the live processes owned by the given uids.
func processesOf(uids map[int]bool) []procInfo {
	var mine []procInfo
	for _, p := range listProcesses() {
		if uids[p.uid] {
			mine = append(mine, p)
		}
	}
	return mine
}

// killProcessesOf ends, by pid, every process owned by the given uids and returns how
// many it signalled. Each round first stops them all (a stopped process cannot fork: this
// is what ends a fork bomb), then kills them; rounds repeat until none is left.
func killProcessesOf(uids map[int]bool) int {
	killed := 0
	for round := 0; round < 100; round++ {
		procs := processesOf(uids)
		if len(procs) == 0 {
			break
		}
		for _, p := range procs {
			_ = syscall.Kill(p.pid, syscall.SIGSTOP)
		}
		for _, p := range procs {
			if syscall.Kill(p.pid, syscall.SIGKILL) == nil {
				killed++
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return killed
}

// describeProcesses is one line per process, for error messages.
func describeProcesses(procs []procInfo) string {
	var lines []string
	for _, p := range procs {
		lines = append(lines, fmt.Sprintf("pid %d uid %d: %s", p.pid, p.uid, p.cmdline))
	}
	return strings.Join(lines, "\n")
}

// staleTmp holds entries of /tmp that were there before TestHub's students existed.
var staleTmp map[string]bool

// filesOwnedBy lists the entries directly in dir owned by the given uids (a kernel's
// workspace, a go build's temporary directory): what students leave in a shared /tmp.
func filesOwnedBy(dir string, uids map[int]bool) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var found []string
	for _, ent := range entries {
		info, err := ent.Info()
		if err != nil {
			continue
		}
		if staleTmp[filepath.Join(dir, ent.Name())] {
			continue
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && uids[int(st.Uid)] {
			found = append(found, filepath.Join(dir, ent.Name()))
		}
	}
	return found
}

// machineSampler records, twice a second, the machine's memory in use (MemTotal -
// MemAvailable), the resident memory of the class's processes and the load average, and
// keeps the peaks. Other programs on the machine count in the machine's figure; the class
// figure is the students' own processes (Jupyter servers, kernels, builds, cells).
type machineSampler struct {
	uids map[int]bool
	stop chan struct{}
	done chan struct{}

	mu                  sync.Mutex
	startUsedKB         int64
	peakUsedKB          int64
	peakClassKB         int64
	peakClassProcs      int
	peakProcsByUID      map[int]int
	startLoad, peakLoad float64
}

func startMachineSampler(uids map[int]bool) *machineSampler {
	s := &machineSampler{uids: uids, stop: make(chan struct{}), done: make(chan struct{}), peakProcsByUID: map[int]int{}}
	s.startUsedKB = memoryUsedKB()
	s.startLoad = loadAverage()
	s.peakUsedKB, s.peakLoad = s.startUsedKB, s.startLoad
	go func() {
		defer close(s.done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *machineSampler) sample() {
	used, load := memoryUsedKB(), loadAverage()
	var classKB int64
	procs := processesOf(s.uids)
	byUID := map[int]int{}
	for _, p := range procs {
		classKB += p.rssKB
		byUID[p.uid]++
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for uid, n := range byUID {
		s.peakProcsByUID[uid] = max(s.peakProcsByUID[uid], n)
	}
	s.peakUsedKB = max(s.peakUsedKB, used)
	s.peakClassKB = max(s.peakClassKB, classKB)
	s.peakClassProcs = max(s.peakClassProcs, len(procs))
	s.peakLoad = max(s.peakLoad, load)
}

// peakOf is the most processes one uid had at a sample so far.
func (s *machineSampler) peakOf(uid int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakProcsByUID[uid]
}

// Stop ends the sampling and returns the sampler, for reading its figures.
func (s *machineSampler) Stop() *machineSampler {
	close(s.stop)
	<-s.done
	return s
}

func memoryUsedKB() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var total, avail int64
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "MemTotal:":
			total = v
		case "MemAvailable:":
			avail = v
		}
	}
	return total - avail
}

func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// gib formats kilobytes as GiB with one decimal.
func gib(kb int64) string { return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20)) }
