package bench

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestReadProcStatusOfSelf(t *testing.T) {
	st, err := ReadProcStatus(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.RSS <= 0 || st.PeakRSS < st.RSS || st.Threads < 1 {
		t.Errorf("have %+v, want RSS > 0, PeakRSS >= RSS, Threads >= 1", st)
	}
	if err := ResetPeakRSS(os.Getpid()); err != nil {
		t.Errorf("ResetPeakRSS: %v", err)
	}
	if n, err := FDCount(os.Getpid()); err != nil || n < 3 {
		t.Errorf("FDCount: have %d, %v; want >= 3 (stdin, stdout, stderr)", n, err)
	}
}

func TestDescendantsFindsGrandchild(t *testing.T) {
	// sh starts sleep as its child: our grandchild.
	cmd := exec.Command("sh", "-c", "sleep 30 & wait")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sh: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var found bool
	for range 200 {
		ds, err := Descendants(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Comm == "sleep" && d.PPID == cmd.Process.Pid {
				found = true
			}
		}
		if found {
			break
		}
		time.Sleep(10 * time.Millisecond) // give sh time to fork
	}
	if !found {
		t.Errorf("have no sleep below sh %d among descendants of %d", cmd.Process.Pid, os.Getpid())
	}
	if !Alive(cmd.Process.Pid) {
		t.Errorf("Alive(%d) = false for a running sh", cmd.Process.Pid)
	}
}

func TestConnectionFileIsPrivate(t *testing.T) {
	info, err := NewConnectionInfo("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ports := map[int]bool{}
	for _, p := range []int{info.ShellPort, info.ControlPort, info.StdinPort, info.IOPubPort, info.HBPort} {
		if p <= 0 || ports[p] {
			t.Errorf("port %d is zero or repeated in %v", p, info)
		}
		ports[p] = true
	}
	if len(info.Key) != 64 {
		t.Errorf("have key of %d hex digits, want 64", len(info.Key))
	}
	path, err := WriteConnectionFile(t.TempDir(), info)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if have := fi.Mode().Perm(); have != 0o600 {
		t.Errorf("have mode %v, want 0600", have)
	}
}
