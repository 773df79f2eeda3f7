package jupyter

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
)

// ConnectionInfo is a kernel connection file: where to listen and the key to sign with.
type ConnectionInfo struct {
	Transport       string `json:"transport"` // "tcp" (default) or "ipc"
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	ControlPort     int    `json:"control_port"`
	StdinPort       int    `json:"stdin_port"`
	IOPubPort       int    `json:"iopub_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// ReadConnectionFile reads and checks a connection file. Missing transport,
// ip and signature_scheme get the defaults jupyter_client uses.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ConnectionInfo{}, fmt.Errorf("jupyter: connection file: %w", err)
	}
	return ParseConnectionInfo(data)
}

// ParseConnectionInfo parses the JSON of a connection file and checks it.
func ParseConnectionInfo(data []byte) (ConnectionInfo, error) {
	var info ConnectionInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return ConnectionInfo{}, fmt.Errorf("jupyter: connection file: %w", err)
	}
	if info.Transport == "" {
		info.Transport = "tcp"
	}
	if info.IP == "" {
		info.IP = "127.0.0.1"
	}
	if info.SignatureScheme == "" {
		info.SignatureScheme = "hmac-sha256"
	}
	if info.Transport != "tcp" && info.Transport != "ipc" {
		return ConnectionInfo{}, fmt.Errorf("jupyter: connection file: unsupported transport %q", info.Transport)
	}
	if info.Key != "" && info.SignatureScheme != "hmac-sha256" {
		return ConnectionInfo{}, fmt.Errorf("jupyter: connection file: unsupported signature_scheme %q (only hmac-sha256)", info.SignatureScheme)
	}
	for name, port := range map[string]int{"shell_port": info.ShellPort, "control_port": info.ControlPort,
		"stdin_port": info.StdinPort, "iopub_port": info.IOPubPort, "hb_port": info.HBPort} {
		if port < 0 || port > 65535 {
			return ConnectionInfo{}, fmt.Errorf("jupyter: connection file: %s %d out of range", name, port)
		}
	}
	return info, nil
}

// Endpoint returns the ZeroMQ endpoint for port: "tcp://IP:PORT" (IPv6
// addresses in brackets, "*" as 0.0.0.0), or for the ipc transport
// "ipc://IP-PORT" (jupyter_client's naming).
func (c ConnectionInfo) Endpoint(port int) string {
	if c.Transport == "ipc" {
		return "ipc://" + c.IP + "-" + strconv.Itoa(port)
	}
	host := c.IP
	if host == "*" { // libzmq's "all interfaces", which some configurations write
		host = "0.0.0.0"
	}
	return "tcp://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// LogValue lets the connection be logged without its key.
func (c ConnectionInfo) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("transport", c.Transport), slog.String("ip", c.IP),
		slog.Int("shell", c.ShellPort), slog.Int("control", c.ControlPort), slog.Int("stdin", c.StdinPort),
		slog.Int("iopub", c.IOPubPort), slog.Int("hb", c.HBPort), slog.Bool("signed", c.Key != ""))
}

// String describes the connection without its key, so that printing a
// ConnectionInfo with %v cannot leak it.
func (c ConnectionInfo) String() string { return c.LogValue().String() }
