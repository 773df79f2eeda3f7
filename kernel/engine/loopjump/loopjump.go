// Package loopjump finds where a loop's back jump goes, in a compiled cell
// program, for a goroutine that was stopped on that jump.
//
// The compiler gives a loop's back jump no line of its own (a loop that
// calls nothing is stopped there by an interrupt, and the traceback says
// cell19.go:-6). The jump's target does have one: the loop's condition or
// the first statement of its body. The traceback gives the function and
// the jump's offset in it ("+0x47"); the binary's line table (.gopclntab,
// which the runtime needs and link -s keeps) gives the function's entry and
// the target's line, once the jump is decoded. Only the unconditional and
// conditional relative jumps of amd64 and arm64 are decoded: anything else
// is "not known", and the caller falls back to reading the source.
package loopjump

import (
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
)

// Line returns the file and line the instruction at fn's entry plus off
// jumps to, as the binary's line table names them (cell files carry //line
// directives, so "cell19.go" and the cell's own line). ok is false when the
// binary cannot be read, fn is not in it, the instruction is no jump this
// package decodes, or its target has no line either (for {} jumps to itself).
func Line(binaryPath, fn string, off uint64) (file string, line int, ok bool) {
	f, err := elf.Open(binaryPath)
	if err != nil {
		return "", 0, false
	}
	defer f.Close()
	text, pclntab := f.Section(".text"), f.Section(".gopclntab")
	if text == nil || pclntab == nil {
		return "", 0, false
	}
	data, err := pclntab.Data()
	if err != nil {
		return "", 0, false
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return "", 0, false
	}
	sym := table.LookupFunc(fn)
	if sym == nil || sym.Entry+off >= sym.End {
		return "", 0, false
	}
	pc := sym.Entry + off
	code := make([]byte, 8)
	if _, err := text.ReadAt(code, int64(pc-text.Addr)); err != nil {
		return "", 0, false
	}
	target, ok := jumpTarget(f.Machine, pc, code)
	if !ok || target < sym.Entry || target >= sym.End {
		return "", 0, false
	}
	file, line, _ = table.PCToLine(target)
	if line <= 0 {
		return "", 0, false
	}
	return file, line, true
}

// jumpTarget decodes the relative jump at pc whose bytes start code.
func jumpTarget(machine elf.Machine, pc uint64, code []byte) (uint64, bool) {
	switch machine {
	case elf.EM_X86_64:
		switch {
		case code[0] == 0xEB: // JMP rel8
			return pc + 2 + uint64(int64(int8(code[1]))), true
		case code[0] == 0xE9: // JMP rel32
			return pc + 5 + uint64(int64(int32(binary.LittleEndian.Uint32(code[1:])))), true
		case code[0]&0xF0 == 0x70: // Jcc rel8
			return pc + 2 + uint64(int64(int8(code[1]))), true
		case code[0] == 0x0F && code[1]&0xF0 == 0x80: // Jcc rel32
			return pc + 6 + uint64(int64(int32(binary.LittleEndian.Uint32(code[2:])))), true
		}
	case elf.EM_AARCH64:
		ins := binary.LittleEndian.Uint32(code)
		switch {
		case ins>>26 == 0b000101: // B imm26
			return pc + uint64(signExtend(ins&(1<<26-1), 26)*4), true
		case ins>>24 == 0b01010100: // B.cond imm19
			return pc + uint64(signExtend(ins>>5&(1<<19-1), 19)*4), true
		}
	}
	return 0, false
}

// signExtend reads the low bits of v as a two's complement number.
func signExtend(v uint32, bits uint) int64 {
	shift := 64 - bits
	return int64(uint64(v)<<shift) >> shift
}
