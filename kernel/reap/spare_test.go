package reap

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startWays are the two ways Start gets a shepherd; the containment tests
// run each way.
var startWays = []struct {
	name  string
	start func(t testing.TB, spec Spec) (*Cell, error)
}{
	{"new shepherd", func(t testing.TB, spec Spec) (*Cell, error) {
		// For this Start only: the test's other way wants spares.
		old, had := os.LookupEnv(EnvNoSpare)
		os.Setenv(EnvNoSpare, "1")
		defer func() {
			if had {
				os.Setenv(EnvNoSpare, old)
			} else {
				os.Unsetenv(EnvNoSpare)
			}
		}()
		return Start(spec)
	}},
	{"spare", func(t testing.TB, spec Spec) (*Cell, error) {
		pid := spareForTest()
		if pid == 0 {
			t.Fatal("Prepare made no spare shepherd")
		}
		c, err := Start(spec)
		if c != nil && c.Shepherd != pid {
			t.Fatalf("the cell's shepherd is %d, want the spare %d", c.Shepherd, pid)
		}
		return c, err
	}},
}

// spareForTest prepares spare shepherds and returns the pid of the one the
// next Start takes once it is ready, 0 if none came within 10 s.
func spareForTest() int {
	Prepare()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		spares.Lock()
		var s *spare
		if len(spares.ready) > 0 {
			s = spares.ready[0]
			if !s.fitsCgroups() {
				// Made under an earlier test's settings: Start would
				// discard it.
				spares.ready = spares.ready[1:]
				spares.Unlock()
				s.discard()
				continue
			}
		}
		starting := spares.starting
		spares.Unlock()
		if s != nil {
			return s.cmd.Process.Pid
		}
		if !starting {
			Prepare()
		}
		time.Sleep(time.Millisecond)
	}
	return 0
}

// TestSpareRunsProgramAsNewShepherd runs the same program both ways and
// compares what it sees: arguments, working directory, environment (no
// shepherd variables), resource limits, standard streams (stdin read, nil
// stdin as /dev/null, stdout and stderr apart).
func TestSpareRunsProgramAsNewShepherd(t *testing.T) {
	t.Setenv(EnvNoCgroup, "1")
	dir := t.TempDir()
	script := `printf 'args=%s|%s\n' "$1" "$2"; echo "pwd=$(pwd)"; echo "x=$GOKERNEL_TEST_X"; ` +
		`env | grep -c GOKERNEL_CELL_SHEPHERD; echo "nofile=$(ulimit -n)"; read line; echo "stdin=$line"; echo err >&2`
	run := func(t *testing.T, start func(testing.TB, Spec) (*Cell, error), withStdin bool) (stdout, stderr string) {
		inR, inW, _ := os.Pipe()
		outR, outW, _ := os.Pipe()
		errR, errW, _ := os.Pipe()
		defer closeFiles(inR, inW, outR, errR)
		spec := Spec{
			Path: "/bin/sh", Args: []string{"-c", script, "sh", "one two", "three"}, Dir: dir,
			Env:    append(os.Environ(), "GOKERNEL_TEST_X=a=b c", shepherdEnv+"_EXTRA=1"),
			Stdout: outW, Stderr: errW,
			Rlimits: []Rlimit{{Resource: syscall.RLIMIT_NOFILE, Cur: 77, Max: 77}},
		}
		if withStdin {
			spec.Stdin = inR
		}
		c, err := start(t, spec)
		closeFiles(outW, errW)
		if err != nil {
			t.Fatal(err)
		}
		inW.WriteString("typed\n")
		inW.Close()
		var eb bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&eb, errR); close(done) }()
		ob, _ := io.ReadAll(outR)
		<-done
		<-c.Exited()
		c.End(0)
		return string(ob), eb.String()
	}
	for _, withStdin := range []bool{true, false} {
		t.Run(fmt.Sprintf("stdin=%v", withStdin), func(t *testing.T) {
			typed := ""
			if withStdin {
				typed = "typed"
			}
			want := fmt.Sprintf("args=one two|three\npwd=%s\nx=a=b c\n0\nnofile=77\nstdin=%s\n", dir, typed)
			for _, how := range startWays {
				t.Run(how.name, func(t *testing.T) {
					o, e := run(t, how.start, withStdin)
					if o != want {
						t.Errorf("stdout %q, want %q", o, want)
					}
					if e != "err\n" {
						t.Errorf("stderr %q, want %q", e, "err\n")
					}
				})
			}
		})
	}
}

// TestSpareGoneStartsNewShepherd kills the spare before Start: the program
// runs once, under a new shepherd.
func TestSpareGoneStartsNewShepherd(t *testing.T) {
	t.Setenv(EnvNoCgroup, "1")
	pid := spareForTest()
	if pid == 0 {
		t.Fatal("no spare shepherd")
	}
	syscall.Kill(pid, syscall.SIGKILL)
	// Gone, its end of the control socket closed: the main thread of a
	// killed Go program is a zombie ('Z') while its other threads, which
	// share its open files, still exit. A start message sent then is
	// accepted and never read ("the shepherd ended before starting it":
	// 2 runs in 8 failed so).
	if err := waitFor(func() bool { return threadsExited(pid) }, 2*time.Second); err != nil {
		t.Fatalf("the killed spare %d has threads still running", pid)
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	c, err := Start(Spec{Path: "/bin/echo", Args: []string{"ran"}, Stdout: w})
	w.Close()
	if err != nil {
		t.Fatalf("Start after the spare died: %v", err)
	}
	out, _ := io.ReadAll(r)
	<-c.Exited()
	c.End(0)
	if string(out) != "ran\n" {
		t.Errorf("the program printed %q, want it to run once", out)
	}
	if c.Shepherd == pid {
		t.Errorf("the cell's shepherd is the dead spare %d", pid)
	}
}

// TestSpareEndsUnused checks that a spare nobody uses ends when Settle
// discards it and when the kernel that made it dies.
func TestSpareEndsUnused(t *testing.T) {
	t.Setenv(EnvNoCgroup, "1")
	t.Run("Settle", func(t *testing.T) {
		pid := spareForTest()
		if pid == 0 {
			t.Fatal("no spare shepherd")
		}
		comm := func() string {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			return strings.TrimSpace(string(b))
		}
		if waitFor(func() bool { return comm() == spareComm }, 5*time.Second) != nil {
			t.Errorf("an idle spare is named %q, want %q", comm(), spareComm)
		}
		Settle(2 * time.Second)
		if alive(pid) {
			t.Errorf("spare shepherd %d alive after Settle", pid)
		}
	})
	t.Run("kernel killed", func(t *testing.T) {
		helper := exec.Command(os.Args[0], "-test.run=^$")
		helper.Env = append(os.Environ(), helperIdleSpareEnv+"=1")
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
		pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(string(buf[:n]), "spare ")))
		if err != nil || pid == 0 || !alive(pid) {
			t.Fatalf("helper said %q: want a living spare's pid", buf[:n])
		}
		helper.Process.Kill()
		helper.Wait()
		if waitFor(func() bool { return !alive(pid) }, time.Second) != nil {
			t.Errorf("spare shepherd %d alive 1 s after its kernel died", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// TestReadStartMessage feeds the spare's reader what a kernel sends, and
// what a broken one could.
func TestReadStartMessage(t *testing.T) {
	good := `{"Path":"/bin/true","Args":["x"],"Dir":"/","Env":["A=1"],"Rlimits":""}`
	frame := func(json, extra string) []byte {
		n := len(json)
		b := []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		return append(append(b, json...), extra...)
	}
	for _, tt := range []struct {
		name    string
		msg     []byte // nil: nothing sent
		streams int
		want    string // error substring; "" for success
		rest    string
	}{
		{"program", frame(good, ""), 3, "", ""},
		{"bytes past the message kept", frame(good, "250"), 3, "", "250"},
		{"closed before any message", nil, 0, "EOF", ""},
		{"two streams", frame(good, ""), 2, "2 standard streams", ""},
		{"no program", frame(`{"Args":["x"]}`, ""), 3, "no program", ""},
		{"not JSON", frame(`{"Path":`, ""), 3, "start message", ""},
		{"cut short", frame(good, "")[:20], 3, "cut short", ""},
		{"too long", []byte{0x7f, 0xff, 0xff, 0xff, '{'}, 3, "too long", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			ours := os.NewFile(uintptr(fds[0]), "ours")
			defer syscall.Close(fds[1])
			if tt.msg != nil {
				var streamFDs []int
				for i := 0; i < tt.streams; i++ {
					streamFDs = append(streamFDs, int(os.Stderr.Fd()))
				}
				if err := sendWithRights(ours, tt.msg, syscall.UnixRights(streamFDs...)); err != nil {
					t.Fatal(err)
				}
			}
			ours.Close() // the reader must not need more than what was sent
			m, streams, rest, err := readStartMessage(fds[1])
			closeFiles(streams...)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("have %v, want an error with %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Path != "/bin/true" || len(m.Args) != 1 || m.Dir != "/" || len(streams) != 3 || string(rest) != tt.rest {
				t.Errorf("have %+v, %d streams, rest %q", m, len(streams), rest)
			}
		})
	}
}

// threadsExited reports whether every thread of pid has exited (a zombie,
// or gone): each has then dropped its hold on the files they share.
func threadsExited(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return true
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // exited since the listing
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			continue
		}
		if s := b[i+2]; s != 'Z' && s != 'X' {
			return false
		}
	}
	return true
}

// TestSparesWaitTwoDeep checks that Prepare keeps spareDepth spares and
// that Start takes the oldest: the one that has had longest to start up.
func TestSparesWaitTwoDeep(t *testing.T) {
	t.Setenv(EnvNoCgroup, "1")
	discardSpares()
	var pids []int
	if waitFor(func() bool {
		Prepare()
		spares.Lock()
		defer spares.Unlock()
		pids = pids[:0]
		for _, s := range spares.ready {
			pids = append(pids, s.cmd.Process.Pid)
		}
		return len(pids) == spareDepth
	}, 10*time.Second) != nil {
		t.Fatalf("%d spares wait after Prepare, want %d", len(pids), spareDepth)
	}
	for i, want := range pids {
		c, err := Start(Spec{Path: "/bin/true"})
		if err != nil {
			t.Fatal(err)
		}
		<-c.Exited()
		c.End(0)
		if c.Shepherd != want {
			t.Errorf("Start %d ran under shepherd %d, want the oldest spare %d (spares were %v)", i+1, c.Shepherd, want, pids)
		}
	}
}
