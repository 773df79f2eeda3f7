package nb

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/nb/wire"
)

func TestInputAndPassword(t *testing.T) {
	tests := []struct {
		name       string
		kernel     bool
		read       func(string) (string, error)
		stdin      string
		want       string
		wantErr    error
		wantFrame  *wire.Frame // under the kernel
		wantText   string      // printed outside the kernel
		wantUnread string      // left on stdin for the next reader
	}{
		{
			name: "input under the kernel announces the prompt", kernel: true, read: Input,
			stdin: "Ada\nnext\n", want: "Ada",
			wantFrame:  &wire.Frame{Kind: wire.KindInput, Prompt: "name? "},
			wantUnread: "next\n",
		},
		{
			name: "password under the kernel hides the typing", kernel: true, read: Password,
			stdin: "s3cret\r\n", want: "s3cret",
			wantFrame: &wire.Frame{Kind: wire.KindInput, Prompt: "name? ", Password: true},
		},
		{
			name: "outside the kernel the prompt is printed", read: Input,
			stdin: "Ada", want: "Ada", wantText: "name? ",
		},
		{
			name: "no input: end of file", kernel: true, read: Password,
			stdin: "", want: "", wantErr: io.EOF,
			wantFrame: &wire.Frame{Kind: wire.KindInput, Prompt: "name? ", Password: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.kernel {
				t.Setenv(wire.EnvKernel, "1")
			} else {
				t.Setenv(wire.EnvKernel, "")
			}
			var buf bytes.Buffer
			stdin := strings.NewReader(tt.stdin)
			output, input = &buf, stdin
			defer func() { output, input = nil, nil }()

			have, err := tt.read("name? ")
			if have != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("have %q, %v; want %q, %v", have, err, tt.want, tt.wantErr)
			}
			if tt.kernel {
				pieces := splitStdout(t, buf.Bytes())
				if len(pieces) != 1 || pieces[0].frame == nil {
					t.Fatalf("stdout: have %+v, want one input frame", pieces)
				}
				f := pieces[0].frame
				if f.Kind != tt.wantFrame.Kind || f.Prompt != tt.wantFrame.Prompt || f.Password != tt.wantFrame.Password {
					t.Errorf("frame: have %+v, want %+v", *f, *tt.wantFrame)
				}
			} else if buf.String() != tt.wantText {
				t.Errorf("stdout: have %q, want %q", buf.String(), tt.wantText)
			}
			rest, _ := io.ReadAll(stdin)
			if string(rest) != tt.wantUnread {
				t.Errorf("left on stdin: have %q, want %q", rest, tt.wantUnread)
			}
		})
	}
}
