package install

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestInstallMatchesTemplate checks that what Install writes is the
// repository's kernel.json with argv[0] replaced by the binary's path.
func TestInstallMatchesTemplate(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join("..", "..", "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(tmpl, &want); err != nil {
		t.Fatalf("template kernel.json: %v", err)
	}
	prefix := t.TempDir()
	dir, err := Install(context.Background(), Options{Scope: Prefix, Prefix: prefix, Executable: "/opt/go/bin/gokernel"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(prefix, "share", "jupyter", "kernels", "gokernel"); dir != want {
		t.Errorf("dir: have %s want %s", dir, want)
	}
	written, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var have map[string]any
	if err := json.Unmarshal(written, &have); err != nil {
		t.Fatal(err)
	}
	argv := have["argv"].([]any)
	if argv[0] != "/opt/go/bin/gokernel" {
		t.Errorf("argv[0]: have %v want the executable", argv[0])
	}
	argv[0] = want["argv"].([]any)[0]
	if !reflect.DeepEqual(have, want) {
		t.Errorf("kernel.json differs from the template (apart from argv[0]):\nhave %s\nwant %s", written, tmpl)
	}
	for _, size := range []int{32, 64} {
		name := filepath.Join(dir, fmt.Sprintf("logo-%dx%d.png", size, size))
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s: have %v want %dx%d", name, b, size, size)
		}
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("%s: corner should be transparent, alpha %d", name, a)
		}
		if r, g, b, _ := img.At(size/2, size/8).RGBA(); r>>8 != 0x00 || g>>8 != 0xAD || b>>8 != 0xD8 {
			t.Errorf("%s: top middle should be Go blue, have %02x%02x%02x", name, r>>8, g>>8, b>>8)
		}
	}
}

func TestKernelsDir(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name  string
		env   map[string]string
		scope Scope
		pfx   string
		want  string
	}{
		{"user JUPYTER_PATH first entry", map[string]string{"JUPYTER_PATH": "/a/share/jupyter:/b", "JUPYTER_DATA_DIR": "/d"}, User, "", "/a/share/jupyter/kernels"},
		{"user JUPYTER_DATA_DIR", map[string]string{"JUPYTER_PATH": "", "JUPYTER_DATA_DIR": "/d"}, User, "", "/d/kernels"},
		{"user XDG", map[string]string{"JUPYTER_PATH": "", "JUPYTER_DATA_DIR": "", "XDG_DATA_HOME": "/x", "HOME": home}, User, "", "/x/jupyter/kernels"},
		{"user default", map[string]string{"JUPYTER_PATH": "", "JUPYTER_DATA_DIR": "", "XDG_DATA_HOME": "", "HOME": home}, User, "", filepath.Join(home, ".local/share/jupyter/kernels")},
		{"sys-prefix venv", map[string]string{"VIRTUAL_ENV": "/venv"}, SysPrefix, "", "/venv/share/jupyter/kernels"},
		{"sys-prefix no python", map[string]string{"VIRTUAL_ENV": "", "CONDA_PREFIX": "", "PATH": home}, SysPrefix, "", "/usr/local/share/jupyter/kernels"},
		{"prefix", nil, Prefix, "/opt/j", "/opt/j/share/jupyter/kernels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			have, err := KernelsDir(context.Background(), tt.scope, tt.pfx)
			if err != nil {
				t.Fatal(err)
			}
			if have != tt.want {
				t.Errorf("have %s want %s", have, tt.want)
			}
		})
	}
	if _, err := KernelsDir(context.Background(), Prefix, ""); err == nil {
		t.Error("--prefix without a directory: have no error")
	}
}

func TestInstallRejectsBadInput(t *testing.T) {
	tests := []Options{
		{Scope: Prefix, Prefix: t.TempDir(), Name: "../evil", Executable: "/bin/gokernel"},
		{Scope: Prefix, Prefix: t.TempDir(), Name: "..", Executable: "/bin/gokernel"},
		{Scope: Prefix, Prefix: t.TempDir(), Name: "go kernel", Executable: "/bin/gokernel"},
		{Scope: Prefix, Prefix: t.TempDir(), Name: "gö", Executable: "/bin/gokernel"},
		{Scope: Prefix, Prefix: t.TempDir(), Executable: "relative/gokernel"},
	}
	for _, opts := range tests {
		if _, err := Install(context.Background(), opts); err == nil {
			t.Errorf("Install(%+v): have no error", opts)
		}
	}
}

// A mixed-case name is installed lower-cased, as jupyter_client installs
// kernelspecs; the display name keeps the user's spelling.
func TestInstallLowercasesName(t *testing.T) {
	tests := []struct{ name, wantDir, wantDisplay string }{
		{"MyGo", "mygo", "Go (MyGo)"},
		{"go-1.26_x", "go-1.26_x", "Go (go-1.26_x)"},
		{"", DefaultName, "Go (gokernel)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := Install(context.Background(), Options{Scope: Prefix, Prefix: t.TempDir(), Name: tt.name, Executable: "/bin/gokernel"})
			if err != nil {
				t.Fatal(err)
			}
			if have := filepath.Base(dir); have != tt.wantDir {
				t.Errorf("directory: have %s, want %s", have, tt.wantDir)
			}
			data, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
			if err != nil {
				t.Fatal(err)
			}
			var spec Spec
			if err := json.Unmarshal(data, &spec); err != nil {
				t.Fatal(err)
			}
			if spec.DisplayName != tt.wantDisplay {
				t.Errorf("display_name: have %q, want %q", spec.DisplayName, tt.wantDisplay)
			}
		})
	}
}
