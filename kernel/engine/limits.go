package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/kernel/reap"
)

// Limits bound what one cell may use. Zero means no limit, except Output,
// where zero means DefaultOutputLimit and a negative value means no limit.
//
// Exceeding Memory, Procs or CPU ends the cell with an *interp.Error named
// "LimitExceeded" whose value names the limit ("memory limit 256 MB"); the
// kernel lives on. Exceeding Output does not end the cell: the rest of its
// output is dropped with a note saying how much.
type Limits struct {
	// Memory bounds the resident memory (RSS) of the cell's processes (the
	// program and all it started, detached ones included), summed and
	// sampled every limitPollInterval. RSS is
	// used rather than RLIMIT_AS because a Go program reserves far more
	// address space than it uses (and a race-enabled one terabytes).
	Memory int64
	// Procs bounds the threads of the cell's processes (a Go program has
	// at least about 5 of its own). Threads are counted rather than setting
	// RLIMIT_NPROC, which counts every process of the user (and is not
	// enforced for root).
	Procs int
	// CPU bounds the CPU time of each process of the cell (RLIMIT_CPU,
	// rounded up to whole seconds; the kernel kills the process at the limit).
	CPU time.Duration
	// Output bounds the bytes of stdout+stderr text shown for one cell.
	Output int64
}

// DefaultOutputLimit is the output shown for one cell when no limit is set:
// enough for any sensible teaching cell, small enough that a browser tab
// showing the notebook stays responsive.
const DefaultOutputLimit = 10 << 20

// limitPollInterval is how often the memory and thread limits are sampled.
const limitPollInterval = 50 * time.Millisecond

// Environment variables for operators of shared servers, read by
// limitsFromEnv when an Engine is made (New); they are the defaults and the caps of
// every cell (a cell's %limit or %timeout may lower them, not raise them):
//
//	GOKERNEL_TIMEOUT       wall-clock time of a cell, a Go duration ("30s", "5m")
//	GOKERNEL_LIMIT_MEMORY  resident memory of a cell ("512MB", "2GiB", bytes)
//	GOKERNEL_LIMIT_PROCS   threads+processes of a cell ("64")
//	GOKERNEL_LIMIT_CPU     CPU time of a cell's processes, a Go duration ("60s")
//	GOKERNEL_LIMIT_OUTPUT  stdout+stderr shown per cell ("10MB"; "0" or "none": unlimited)
const (
	EnvTimeout     = "GOKERNEL_TIMEOUT"      // EnvTimeout names the default wall-clock timeout of a cell.
	EnvLimitMemory = "GOKERNEL_LIMIT_MEMORY" // EnvLimitMemory names the default Limits.Memory.
	EnvLimitProcs  = "GOKERNEL_LIMIT_PROCS"  // EnvLimitProcs names the default Limits.Procs.
	EnvLimitCPU    = "GOKERNEL_LIMIT_CPU"    // EnvLimitCPU names the default Limits.CPU.
	EnvLimitOutput = "GOKERNEL_LIMIT_OUTPUT" // EnvLimitOutput names the default Limits.Output.
)

// limitsFromEnv reads the kernel-wide limits and timeout from the
// environment (see EnvTimeout and the other Env* names).
func limitsFromEnv() (Limits, time.Duration, error) {
	return limitsFromLookup(os.Getenv)
}

// operatorLimits are the operator's defaults and caps for every cell of an
// engine, read from the environment by New (see EnvTimeout).
type operatorLimits struct {
	Limits  Limits
	Timeout time.Duration
	// Err says the environment holds a value that does not parse: every
	// cell then fails with it rather than run without the limits meant.
	Err error
}

// operatorLimitsFromEnv reads the operator's limits (limitsFromEnv).
func operatorLimitsFromEnv() operatorLimits {
	lim, timeout, err := limitsFromEnv()
	return operatorLimits{Limits: lim, Timeout: timeout, Err: err}
}

// effectiveLimits combines a cell's limits and timeout with the operator's:
// each value set on one side only applies as is, and where both are set the
// smaller one wins. An Output of -1 (the cell asked for no limit) yields to
// an operator's Output limit.
func effectiveLimits(cell Limits, cellTimeout time.Duration, op Limits, opTimeout time.Duration) (Limits, time.Duration) {
	smaller := func(a, b int64) int64 {
		switch {
		case a <= 0:
			return b
		case b <= 0:
			return a
		}
		return min(a, b)
	}
	out := Limits{
		Memory: smaller(cell.Memory, op.Memory),
		Procs:  int(smaller(int64(cell.Procs), int64(op.Procs))),
		CPU:    time.Duration(smaller(int64(cell.CPU), int64(op.CPU))),
		Output: cell.Output,
	}
	if op.Output > 0 {
		out.Output = smaller(cell.Output, op.Output)
	} else if cell.Output == 0 {
		out.Output = op.Output // -1 (none) or 0 (DefaultOutputLimit)
	}
	return out, time.Duration(smaller(int64(cellTimeout), int64(opTimeout)))
}

// limitsFromLookup is limitsFromEnv with the environment passed in (tests).
func limitsFromLookup(getenv func(string) string) (Limits, time.Duration, error) {
	var lim Limits
	var timeout time.Duration
	var errs []string
	if v := getenv(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Sprintf("%s=%q: want a duration such as 30s", EnvTimeout, v))
		}
		timeout = d
	}
	if v := getenv(EnvLimitMemory); v != "" {
		n, err := parseByteSize(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: %v", EnvLimitMemory, v, err))
		}
		lim.Memory = n
	}
	if v := getenv(EnvLimitProcs); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Sprintf("%s=%q: want a number of threads", EnvLimitProcs, v))
		}
		lim.Procs = n
	}
	if v := getenv(EnvLimitCPU); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Sprintf("%s=%q: want a duration such as 60s", EnvLimitCPU, v))
		}
		lim.CPU = d
	}
	if v := getenv(EnvLimitOutput); v != "" {
		if v == "none" || v == "0" {
			lim.Output = -1
		} else {
			n, err := parseByteSize(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", EnvLimitOutput, v, err))
			}
			lim.Output = n
		}
	}
	if len(errs) > 0 {
		return Limits{}, 0, fmt.Errorf("kernel limits from environment: %s", strings.Join(errs, "; "))
	}
	return lim, timeout, nil
}

// parseByteSize reads "256MB", "1.5GiB", "64k" or a plain number of bytes.
// Decimal and binary suffixes are both taken as binary (MB = MiB): people
// writing limits mean "about that much".
func parseByteSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "IB"), "B")
	mult := 1.0
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("want a size such as 256MB")
	}
	return int64(f * mult), nil
}

// formatBytes renders a size for messages: "256 MB", "1.5 GB", "700 bytes".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return trimZero(float64(n)/(1<<30)) + " GB"
	case n >= 1<<20:
		return trimZero(float64(n)/(1<<20)) + " MB"
	case n >= 1<<10:
		return trimZero(float64(n)/(1<<10)) + " KB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trimZero(f float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(f, 'f', 1, 64), ".0")
}

// limitExceeded is the limit a cell went past.
type limitExceeded struct {
	What string // "memory limit 256 MB"
}

// cellRlimits are the kernel-enforced limits of a cell's processes, set on
// its shepherd before the program starts, so everything the cell starts
// inherits them. Core dumps are always off: a SIGQUIT that arrives before
// the Go runtime installed its handlers (an interrupt right at the start)
// would otherwise leave a core file behind.
func cellRlimits(lim Limits) []reap.Rlimit {
	limits := []reap.Rlimit{{Resource: syscall.RLIMIT_CORE}}
	if lim.CPU > 0 {
		secs := uint64(math.Ceil(lim.CPU.Seconds()))
		// soft == hard: the kernel sends SIGKILL at the limit (a Go program
		// ignores the SIGXCPU that a lower soft limit would send).
		limits = append(limits, reap.Rlimit{Resource: syscall.RLIMIT_CPU, Cur: secs, Max: secs})
	}
	return limits
}

// watchLimits samples the memory and threads of the processes below root
// (the cell's shepherd: the program and all it started, orphans included)
// every limitPollInterval until ctx ends, and reports the first limit
// exceeded on the returned channel (buffered; at most one value).
func watchLimits(ctx context.Context, root int, lim Limits) <-chan limitExceeded {
	ch := make(chan limitExceeded, 1)
	if lim.Memory <= 0 && lim.Procs <= 0 {
		return ch
	}
	go func() {
		t := time.NewTicker(limitPollInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rss, threads := usageBelow(root)
			switch {
			case lim.Memory > 0 && rss > lim.Memory:
				ch <- limitExceeded{What: "memory limit " + formatBytes(lim.Memory)}
				return
			case lim.Procs > 0 && threads > lim.Procs:
				ch <- limitExceeded{What: fmt.Sprintf("process/thread limit %d", lim.Procs)}
				return
			}
		}
	}()
	return ch
}

// usageBelow sums resident memory (bytes) and threads over the processes
// below root (not root itself).
func usageBelow(root int) (rss int64, threads int) {
	for _, p := range reap.Descendants(root) {
		r, n := procStatus(p)
		rss += r
		threads += n
	}
	return rss, threads
}

// procStatus reads VmRSS and Threads of one process.
func procStatus(pid int) (rss int64, threads int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			rss = kb << 10
		} else if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			threads, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return rss, threads
}
