package jupyter

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseConnectionInfo(t *testing.T) {
	tests := []struct {
		name         string
		json         string
		wantErr      bool
		wantEndpoint string // of the shell port
	}{
		{"full", `{"shell_port":5001,"iopub_port":5002,"stdin_port":5003,"control_port":5004,"hb_port":5005,"ip":"127.0.0.1","key":"k","transport":"tcp","signature_scheme":"hmac-sha256","kernel_name":"gokernel"}`, false, "tcp://127.0.0.1:5001"},
		{"defaults", `{"shell_port":1}`, false, "tcp://127.0.0.1:1"},
		{"ipv6", `{"shell_port":7,"ip":"::1"}`, false, "tcp://[::1]:7"},
		{"all interfaces", `{"shell_port":9,"ip":"*"}`, false, "tcp://0.0.0.0:9"},
		{"ipc", `{"shell_port":3,"ip":"/tmp/k","transport":"ipc"}`, false, "ipc:///tmp/k-3"},
		{"bad transport", `{"transport":"udp"}`, true, ""},
		{"bad scheme", `{"key":"k","signature_scheme":"hmac-md5"}`, true, ""},
		{"port range", `{"hb_port":70000}`, true, ""},
		{"not json", `{`, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ParseConnectionInfo([]byte(tt.json))
			if (err != nil) != tt.wantErr {
				t.Fatalf("have error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if have := info.Endpoint(info.ShellPort); have != tt.wantEndpoint {
				t.Errorf("endpoint: have %q want %q", have, tt.wantEndpoint)
			}
		})
	}
}

func TestConnectionInfoNeverShowsKey(t *testing.T) {
	const key = "very-secret-key-1234"
	info, err := ParseConnectionInfo([]byte(`{"key":"` + key + `","shell_port":1}`))
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("listening", "conn", info)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("listening", "conn", info)
	for name, text := range map[string]string{"slog": logged.String(), "%v": fmt.Sprintf("%v", info), "%s": fmt.Sprint(info)} {
		if strings.Contains(text, key) {
			t.Errorf("%s output contains the key: %s", name, text)
		}
		if !strings.Contains(text, "signed") {
			t.Errorf("%s output lost the connection details: %s", name, text)
		}
	}
}
