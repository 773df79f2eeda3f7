package bench

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

// NewConnectionInfo picks five free TCP ports on ip and a random signing key,
// as jupyter_client does before it starts a kernel.
func NewConnectionInfo(ip string) (jupyter.ConnectionInfo, error) {
	ports, err := freePorts(ip, 5)
	if err != nil {
		return jupyter.ConnectionInfo{}, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return jupyter.ConnectionInfo{}, fmt.Errorf("bench: signing key: %w", err)
	}
	return jupyter.ConnectionInfo{
		Transport:       "tcp",
		IP:              ip,
		ShellPort:       ports[0],
		ControlPort:     ports[1],
		StdinPort:       ports[2],
		IOPubPort:       ports[3],
		HBPort:          ports[4],
		Key:             hex.EncodeToString(key),
		SignatureScheme: "hmac-sha256",
		KernelName:      "gokernel",
	}, nil
}

// freePorts asks the system for n distinct free ports by listening on port 0.
// All listeners stay open until every port is known so none repeats; a
// port can still be taken by someone else before the kernel binds it, which
// is the same small race every Jupyter frontend lives with.
func freePorts(ip string, n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return nil, fmt.Errorf("bench: finding a free port on %s: %w", ip, err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// WriteConnectionFile writes info as kernel-NAME.json in dir with mode 0600
// (it holds the signing key) and returns its path. It refuses to follow or
// replace an existing file.
func WriteConnectionFile(dir string, info jupyter.ConnectionInfo) (string, error) {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return "", fmt.Errorf("bench: encoding connection file: %w", err)
	}
	f, err := os.CreateTemp(dir, "kernel-*.json") // O_EXCL, mode 0600
	if err != nil {
		return "", fmt.Errorf("bench: creating connection file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return "", fmt.Errorf("bench: writing connection file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("bench: writing connection file: %w", err)
	}
	return filepath.Clean(f.Name()), nil
}
