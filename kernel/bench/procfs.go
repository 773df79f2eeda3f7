package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcStatus is the part of /proc/PID/status the benchmark and the
// reliability tests read. Sizes are in bytes.
type ProcStatus struct {
	RSS     int64 // VmRSS: resident set size now
	PeakRSS int64 // VmHWM: highest RSS since start or since ResetPeakRSS
	Threads int
}

// ReadProcStatus reads /proc/PID/status.
func ReadProcStatus(pid int) (ProcStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcStatus{}, fmt.Errorf("bench: reading status of process %d: %w", pid, err)
	}
	var st ProcStatus
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			st.RSS = n * 1024 // the kernel writes kB
		case "VmHWM":
			st.PeakRSS = n * 1024
		case "Threads":
			st.Threads = int(n)
		}
	}
	return st, nil
}

// ResetPeakRSS resets VmHWM of pid to its current RSS, so that the next
// ReadProcStatus reports the peak of what happened in between (Linux
// clear_refs, value 5; needs the right to write the process's files).
func ResetPeakRSS(pid int) error {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		return fmt.Errorf("bench: resetting peak RSS of process %d: %w", pid, err)
	}
	return nil
}

// FDCount returns how many file descriptors pid has open.
func FDCount(pid int) (int, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, fmt.Errorf("bench: listing descriptors of process %d: %w", pid, err)
	}
	return len(entries), nil
}

// ProcInfo identifies one process in the process table.
type ProcInfo struct {
	PID, PPID, PGID int
	State           string // R, S, Z, ...
	Comm            string
}

// Processes reads the whole process table. Processes that exit while it is
// read are skipped.
func Processes() ([]ProcInfo, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("bench: listing /proc: %w", err)
	}
	var procs []ProcInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, err := readProcStat(pid)
		if err != nil {
			continue // gone meanwhile
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// readProcStat parses /proc/PID/stat. comm is in parentheses and may hold
// spaces and parentheses itself, so fields are counted from the last ')'.
func readProcStat(pid int) (ProcInfo, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ProcInfo{}, err
	}
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return ProcInfo{}, fmt.Errorf("bench: malformed stat of process %d", pid)
	}
	fields := strings.Fields(s[closing+1:])
	if len(fields) < 3 {
		return ProcInfo{}, fmt.Errorf("bench: short stat of process %d", pid)
	}
	ppid, _ := strconv.Atoi(fields[1])
	pgid, _ := strconv.Atoi(fields[2])
	return ProcInfo{PID: pid, PPID: ppid, PGID: pgid, State: fields[0], Comm: s[open+1 : closing]}, nil
}

// Descendants returns the living (non-zombie) processes below pid in the
// process tree, children first.
func Descendants(pid int) ([]ProcInfo, error) {
	procs, err := Processes()
	if err != nil {
		return nil, err
	}
	return descendantsIn(procs, pid), nil
}

func descendantsIn(procs []ProcInfo, root int) []ProcInfo {
	children := map[int][]ProcInfo{}
	for _, p := range procs {
		children[p.PPID] = append(children[p.PPID], p)
	}
	var out []ProcInfo
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if c.State != "Z" {
				out = append(out, c)
			}
			queue = append(queue, c.PID)
		}
	}
	return out
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	p, err := readProcStat(pid)
	return err == nil && p.State != "Z"
}
