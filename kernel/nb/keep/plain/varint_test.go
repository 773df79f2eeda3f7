package plain

import (
	"encoding/binary"
	"math"
	"testing"
)

// The codec's integers are encoding/binary's, written without the package.
func TestVarintsMatchEncodingBinary(t *testing.T) {
	ints := []int64{0, 1, -1, 63, -64, 64, 127, 128, 300, -300, 1 << 32, math.MaxInt64, math.MinInt64}
	for _, x := range ints {
		if have, want := AppendUvarint(nil, Zigzag(x)), binary.AppendVarint(nil, x); string(have) != string(want) {
			t.Errorf("varint %d: %x, want %x", x, have, want)
		}
		u, n := Uvarint(binary.AppendVarint(nil, x))
		if Unzigzag(u) != x || n != len(binary.AppendVarint(nil, x)) {
			t.Errorf("read varint %d: %d (%d bytes)", x, Unzigzag(u), n)
		}
		ux := uint64(x)
		if have, want := AppendUvarint(nil, ux), binary.AppendUvarint(nil, ux); string(have) != string(want) {
			t.Errorf("uvarint %d: %x, want %x", ux, have, want)
		}
		if have, want := AppendUint64(nil, ux), binary.LittleEndian.AppendUint64(nil, ux); string(have) != string(want) || Uint64At(have) != ux {
			t.Errorf("uint64 %d: %x, want %x", ux, have, want)
		}
	}
	bad := [][]byte{
		nil,    // empty
		{0x80}, // ends inside a number
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},       // 65 bits
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, // 11 bytes
	}
	for _, b := range bad {
		_, wantN := binary.Uvarint(b)
		if _, n := Uvarint(b); n != wantN || n > 0 {
			t.Errorf("read %x: length %d, want %d", b, n, wantN)
		}
	}
}

func FuzzReadUvarint(f *testing.F) {
	f.Add([]byte{0x80, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, n := Uvarint(b)
		wx, wn := binary.Uvarint(b)
		if x != wx || n != wn {
			t.Fatalf("%x: %d %d, want %d %d", b, x, n, wx, wn)
		}
	})
}
