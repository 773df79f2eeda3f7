package reliability

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/bench"
)

// listener is one listening TCP socket from /proc/net/tcp{,6}.
type listener struct {
	IP    net.IP
	Port  int
	Inode string
}

// listeners parses the LISTEN sockets of /proc/net/tcp and tcp6.
func listeners(t *testing.T) []listener {
	t.Helper()
	var out []listener
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue // no IPv6
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: TCP_LISTEN
				continue
			}
			ip, port, err := parseProcAddr(fields[1])
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			out = append(out, listener{IP: ip, Port: port, Inode: fields[9]})
		}
		f.Close()
	}
	return out
}

// parseProcAddr decodes "0100007F:1F90": the address is hex of 32-bit words
// in host (little-endian) order, the port plain hex.
func parseProcAddr(s string) (net.IP, int, error) {
	addr, portHex, ok := strings.Cut(s, ":")
	if !ok {
		return nil, 0, fmt.Errorf("bad address %q", s)
	}
	raw, err := hex.DecodeString(addr)
	if err != nil || len(raw)%4 != 0 {
		return nil, 0, fmt.Errorf("bad address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		slices.Reverse(raw[i : i+4])
	}
	port, err := strconv.ParseInt(portHex, 16, 32)
	if err != nil {
		return nil, 0, fmt.Errorf("bad port in %q", s)
	}
	return net.IP(raw), int(port), nil
}

func TestParseProcAddr(t *testing.T) {
	tests := []struct {
		in   string
		ip   string
		port int
	}{
		{"0100007F:1F90", "127.0.0.1", 8080},
		{"00000000:0016", "0.0.0.0", 22},
		{"00000000000000000000000001000000:0050", "::1", 80},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ip, port, err := parseProcAddr(tt.in)
			if err != nil || ip.String() != tt.ip || port != tt.port {
				t.Errorf("have %v %d %v, want %s %d", ip, port, err, tt.ip, tt.port)
			}
		})
	}
}

// socketInodes returns the inodes of the sockets pid has open.
func socketInodes(pid int) map[string]bool {
	inodes := map[string]bool{}
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	return inodes
}

// TestSocketsBoundToConnectionIP starts the kernel on a loopback address
// and checks in /proc/net/tcp that it (and anything it started) listens on
// that address only, on the connection file's five ports.
func TestSocketsBoundToConnectionIP(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		t.Run(ip, func(t *testing.T) {
			s := start(t, startOptions{ip: ip})
			s.hello(2 * time.Minute)
			pids := []int{s.k.PID()}
			below, _ := bench.Descendants(s.k.PID())
			for _, p := range below {
				pids = append(pids, p.PID)
			}
			inodes := map[string]bool{}
			for _, pid := range pids {
				for i := range socketInodes(pid) {
					inodes[i] = true
				}
			}
			want := []int{s.k.Info.ShellPort, s.k.Info.ControlPort, s.k.Info.StdinPort, s.k.Info.IOPubPort, s.k.Info.HBPort}
			var have []int
			for _, l := range listeners(t) {
				if !inodes[l.Inode] {
					continue
				}
				if !l.IP.Equal(net.ParseIP(ip)) {
					t.Errorf("kernel listens on %s:%d, want only %s", l.IP, l.Port, ip)
				}
				if !slices.Contains(want, l.Port) {
					t.Errorf("kernel listens on port %d, not one of the connection file's %v", l.Port, want)
				}
				have = append(have, l.Port)
			}
			slices.Sort(have)
			slices.Sort(want)
			if !slices.Equal(have, want) {
				t.Errorf("have listening ports %v, want %v", have, want)
			}
			figure(t, "sockets with connection ip %s: %d listening, all on %s: %v", ip, len(have), ip, !t.Failed())
		})
	}
}

// TestWorkspacePrivate runs cells and checks that the cell's binary, its
// directory and everything in the kernel's TMPDIR (where the workspace
// lives) are private to the user: no group or other permission bits. The
// cell's working directory is the kernel's (the notebook's folder, as in
// every Jupyter kernel), so it is not checked.
func TestWorkspacePrivate(t *testing.T) {
	s := start(t, startOptions{})
	s.execute("func rememberMe() int { return 1 }", 2*time.Minute)
	call := s.execute(`import "os"

wd, _ := os.Getwd()
exe, _ := os.Executable()
fmt.Println("WD=" + wd)
fmt.Println("EXE=" + exe)
`, time.Minute)
	var wd, exe string
	for line := range strings.Lines(call.Stdout()) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "WD="); ok {
			wd = v
		}
		if v, ok := strings.CutPrefix(line, "EXE="); ok {
			exe = v
		}
	}
	if wd == "" || exe == "" {
		t.Fatalf("cell did not print its directory and binary: %q", call.Stdout())
	}
	checked, public := 0, 0
	seen := map[string]bool{}
	check := func(path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		fi, err := os.Lstat(path)
		if err != nil {
			return // a binary may be gone once it ran
		}
		checked++
		if fi.Mode().Perm()&0o077 != 0 {
			public++
			t.Errorf("%s has mode %v, want no group/other bits (0700 / 0600)", path, fi.Mode().Perm())
		}
	}
	check(exe)
	check(filepath.Dir(exe))
	filepath.WalkDir(s.tmp, func(path string, d os.DirEntry, err error) error {
		if err == nil && path != s.tmp {
			check(path)
		}
		return nil
	})
	if !strings.HasPrefix(exe, s.tmp) {
		t.Errorf("the cell's binary %s is outside the kernel's TMPDIR %s", exe, s.tmp)
	}
	figure(t, "workspace modes: %d paths checked, %d with group/other permission bits", checked, public)
}

// TestFilesPrivateUnderLooseUmask starts the kernel the way `gokernel
// bench` does (bench.StartKernel writes the connection file: the only
// connection files gokernel itself writes) under the usual umask and under
// umask 000, as on a carelessly set up shared server, and checks that the
// connection file (it holds the key) is 0600 in a 0700 directory, and that
// the history file is 0600 in a 0700 directory, whatever the umask.
func TestFilesPrivateUnderLooseUmask(t *testing.T) {
	for _, umask := range []int{-1, 0} {
		name := "umask 000"
		if umask < 0 {
			name = "inherited umask"
		}
		t.Run(name, func(t *testing.T) {
			data := t.TempDir()
			var s *session
			if umask >= 0 {
				// The kernel inherits the umask at start; put ours back at once.
				old := syscall.Umask(umask)
				s = start(t, startOptions{env: []string{"JUPYTER_DATA_DIR=" + data}})
				syscall.Umask(old)
			} else {
				s = start(t, startOptions{env: []string{"JUPYTER_DATA_DIR=" + data}})
			}
			s.hello(2 * time.Minute)
			s.execute("6*7", time.Minute)
			history := filepath.Join(data, "gokernel", "history.jsonl")
			tests := []struct {
				what string
				path string
				want os.FileMode
			}{
				{"connection file", s.k.ConnFile, 0o600},
				{"connection file's directory", filepath.Dir(s.k.ConnFile), 0o700},
				{"history file", history, 0o600},
				{"history file's directory", filepath.Dir(history), 0o700},
			}
			var report []string
			for _, tt := range tests {
				fi, err := os.Lstat(tt.path)
				if err != nil {
					t.Errorf("%s: %v", tt.what, err)
					report = append(report, tt.what+" missing")
					continue
				}
				if have := fi.Mode().Perm(); have != tt.want {
					t.Errorf("%s %s: have mode %#o, want %#o", tt.what, tt.path, have, tt.want)
				}
				report = append(report, fmt.Sprintf("%s %#o", tt.what, fi.Mode().Perm()))
			}
			// And the workspace, made under this umask.
			public := 0
			filepath.WalkDir(s.tmp, func(path string, d os.DirEntry, err error) error {
				if err != nil || path == s.tmp {
					return nil
				}
				if fi, err := os.Lstat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
					public++
					t.Errorf("workspace path %s has mode %#o, want no group/other bits", path, fi.Mode().Perm())
				}
				return nil
			})
			report = append(report, fmt.Sprintf("%d workspace paths open to others", public))
			if b, err := os.ReadFile(history); err == nil && !strings.Contains(string(b), "6*7") {
				t.Errorf("history file %s does not hold the cell just run: %q", history, b)
			}
			figure(t, "file modes (%s): %s", name, strings.Join(report, ", "))
		})
	}
}
