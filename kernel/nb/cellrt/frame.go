package cellrt

import (
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// Frame delimiters and kinds, mirroring package wire (a test checks they
// agree). They are repeated here so that cellrt does not link encoding/json.
const (
	frameStart   = "\x1b]gokernel;"
	frameEnd     = "\x07"
	kindResult   = "result"
	kindLeftover = "leftover"
)

// frame is the subset of wire.Frame that cellrt writes.
type frame struct {
	kind  string
	data  map[string]any
	count int
	stack string
}

// writeFrame writes f as one wire frame with a single Write call, so that it
// never interleaves with other output of this process.
func writeFrame(w io.Writer, f frame) error {
	b := make([]byte, 0, 256+len(f.stack))
	b = append(b, frameStart...)
	b = append(b, `{"kind":`...)
	b = appendString(b, f.kind)
	if f.data != nil {
		b = append(b, `,"data":`...)
		b = appendJSON(b, f.data)
	}
	if f.count != 0 {
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(f.count), 10)
	}
	if f.stack != "" {
		b = append(b, `,"stack":`...)
		b = appendString(b, f.stack)
	}
	b = append(b, '}')
	b = append(b, frameEnd...)
	_, err := w.Write(b)
	return err
}

// appendJSON appends v as JSON. It knows the types a MIME bundle holds
// (strings, numbers, booleans, nil, maps and slices of those); anything else
// is written as the string of its %v form, never as invalid JSON.
func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case uint:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float32:
		return appendFloat(b, float64(x))
	case float64:
		return appendFloat(b, x)
	case []byte:
		// JSON has no bytes; the raw JSON text of a value, e.g. from
		// json.Marshal, is the useful reading.
		return append(b, x...)
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendJSON(b, x[k])
		}
		return append(b, '}')
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return appendJSON(b, m)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case []string:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e)
		}
		return append(b, ']')
	default:
		return appendString(b, plainText(v))
	}
}

func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Insertion sort: bundles hold a handful of keys, and package sort
	// would be one more dependency for every cell.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Every control character is
// escaped (so BEL, the frame end, never appears inside a frame) and invalid
// UTF-8 becomes U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid JavaScript: escape like encoding/json.
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// quote is the text/plain form of a string value: a Go literal.
func quote(s string) string { return strconv.Quote(s) }
