package plain

// The integers of files of kept values (plain's and keep's codec), written
// here rather than with encoding/binary: every cell that keeps values links
// them, and encoding/binary is a package the linker would load for five
// small functions (the same encoding as its Uvarint, Varint and
// LittleEndian).

// AppendUvarint appends x in 7-bit groups, low first, the high bit set on
// every byte but the last.
func AppendUvarint(b []byte, x uint64) []byte {
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}

// Uvarint reads what AppendUvarint wrote and its length in bytes: 0 when
// b ends first, negative when the number overflows 64 bits.
func Uvarint(b []byte) (uint64, int) {
	var x uint64
	var s uint
	for i, c := range b {
		if i == 10 {
			return 0, -(i + 1)
		}
		if c < 0x80 {
			if i == 9 && c > 1 {
				return 0, -(i + 1)
			}
			return x | uint64(c)<<s, i + 1
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, 0
}

// Zigzag maps signed to unsigned so that small negative numbers stay short.
func Zigzag(x int64) uint64 { return uint64(x<<1) ^ uint64(x>>63) }

// Unzigzag undoes Zigzag.
func Unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// AppendUint64 appends x in 8 bytes, little-endian.
func AppendUint64(b []byte, x uint64) []byte {
	return append(b, byte(x), byte(x>>8), byte(x>>16), byte(x>>24), byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56))
}

// Uint64At reads a little-endian uint64 from the first 8 bytes of b.
func Uint64At(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
