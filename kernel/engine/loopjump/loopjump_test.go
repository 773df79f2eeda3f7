package loopjump

import (
	"debug/elf"
	"os"
	"path/filepath"
	"testing"
)

func TestJumpTarget(t *testing.T) {
	const pc = 0x1000
	for _, tt := range []struct {
		name    string
		machine elf.Machine
		code    []byte
		target  uint64 // 0: not a jump decoded
	}{
		{"amd64 JMP rel8 to itself (for {})", elf.EM_X86_64, []byte{0xEB, 0xFE, 0, 0, 0, 0, 0, 0}, pc},
		{"amd64 JMP rel8 back", elf.EM_X86_64, []byte{0xEB, 0xF0, 0, 0, 0, 0, 0, 0}, pc + 2 - 16},
		{"amd64 JMP rel32 back", elf.EM_X86_64, []byte{0xE9, 0x00, 0xFF, 0xFF, 0xFF, 0, 0, 0}, pc + 5 - 256},
		{"amd64 JLT rel8", elf.EM_X86_64, []byte{0x7C, 0xF0, 0, 0, 0, 0, 0, 0}, pc + 2 - 16},
		{"amd64 JLT rel32", elf.EM_X86_64, []byte{0x0F, 0x8C, 0x00, 0xFF, 0xFF, 0xFF, 0, 0}, pc + 6 - 256},
		{"amd64 NOP", elf.EM_X86_64, []byte{0x90, 0, 0, 0, 0, 0, 0, 0}, 0},
		{"arm64 B back 4 instructions", elf.EM_AARCH64, le32(0x14000000 | (1<<26 - 4)), pc - 16},
		{"arm64 B forward", elf.EM_AARCH64, le32(0x14000000 | 3), pc + 12},
		{"arm64 B.LT back", elf.EM_AARCH64, le32(0x54000000 | (1<<19-2)<<5 | 0xB), pc - 8},
		{"arm64 NOP", elf.EM_AARCH64, le32(0xD503201F), 0},
		{"another machine", elf.EM_386, []byte{0xEB, 0xFE, 0, 0, 0, 0, 0, 0}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target, ok := jumpTarget(tt.machine, pc, tt.code)
			if ok != (tt.target != 0) || target != tt.target {
				t.Errorf("jumpTarget = %#x, %v; want %#x", target, ok, tt.target)
			}
		})
	}
}

func le32(v uint32) []byte {
	return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), 0, 0, 0, 0}
}

// What Line cannot read, it does not know.
func TestLineUnknown(t *testing.T) {
	text := filepath.Join(t.TempDir(), "not-a-binary")
	if err := os.WriteFile(text, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, binary, fn string }{
		{"no file", filepath.Join(t.TempDir(), "missing"), "main.main"},
		{"not a binary", text, "main.main"},
		{"no such function", self, "main.nothingCalledThis"},
		{"past the function's end", self, "testing.tRunner"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if file, line, ok := Line(tt.binary, tt.fn, 1<<20); ok {
				t.Errorf("Line = %s:%d, true; want not known", file, line)
			}
		})
	}
}
