package keep

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"unsafe"
)

// Sentinel errors are compared by identity: err == io.EOF, errors.Is(err,
// context.Canceled). A kept error that is one of them is written as its
// name and loaded as the loading program's own, not copied: a copy of the
// *errors.errorString behind io.EOF prints the same but is another error,
// and a later cell's errors.Is would say false where one `go run` says
// true.
//
// The sentinels of the packages every program that links keep links anyway
// (io, io/fs, os, strconv, errors) are known here. Others are registered
// by the program (RegisterSentinel): the engine registers context's in a
// program that imports context, and in one that loads a value holding
// them (Report.Dyn lists them as "=context.Canceled"), so that keep itself
// does not link package context (and the time formatting its String
// methods bring) into every cell. A sentinel nobody registered is copied as
// any other error.
var builtinSentinels = []namedSentinel{
	{"io.EOF", io.EOF},
	{"io.ErrUnexpectedEOF", io.ErrUnexpectedEOF},
	{"io.ErrShortWrite", io.ErrShortWrite},
	{"io.ErrShortBuffer", io.ErrShortBuffer},
	{"io.ErrNoProgress", io.ErrNoProgress},
	{"io.ErrClosedPipe", io.ErrClosedPipe},
	{"io/fs.ErrInvalid", fs.ErrInvalid}, // os.ErrInvalid, os.ErrPermission ... are these
	{"io/fs.ErrPermission", fs.ErrPermission},
	{"io/fs.ErrExist", fs.ErrExist},
	{"io/fs.ErrNotExist", fs.ErrNotExist},
	{"io/fs.ErrClosed", fs.ErrClosed},
	{"os.ErrNoDeadline", os.ErrNoDeadline},
	{"os.ErrDeadlineExceeded", os.ErrDeadlineExceeded},
	{"os.ErrProcessDone", os.ErrProcessDone},
	{"strconv.ErrRange", strconv.ErrRange},
	{"strconv.ErrSyntax", strconv.ErrSyntax},
	{"errors.ErrUnsupported", errors.ErrUnsupported},
}

type namedSentinel struct {
	name string // "pkgpath.Name"
	err  error
}

var (
	sentinelsMu sync.RWMutex
	registered  []namedSentinel
)

// RegisterSentinel makes err, the value of the package variable name
// ("context.Canceled"), carry as itself: a kept error equal to err loads as
// err in a program that registered it too. The engine calls it before Load.
func RegisterSentinel(name string, err error) {
	sentinelsMu.Lock()
	defer sentinelsMu.Unlock()
	if !slices.ContainsFunc(registered, func(s namedSentinel) bool { return s.name == name }) {
		registered = append(registered, namedSentinel{name, err})
	}
}

// sentinelName returns the name of the sentinel error the interface value v
// holds, if it holds one, and whether it is a built-in one.
func sentinelName(v reflect.Value) (name string, builtin, ok bool) {
	dyn := v.Elem()
	if !dyn.Type().Comparable() || !dyn.Type().Implements(errorType) {
		return "", false, false
	}
	if !v.CanInterface() {
		// Reached through an unexported field: read it through its address.
		if !v.CanAddr() {
			return "", false, false
		}
		v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	err, _ := v.Interface().(error)
	s, builtin, ok := findSentinel(func(s namedSentinel) bool { return s.err == err })
	return s.name, builtin, ok
}

// sentinelNamed returns the sentinel error called name.
func sentinelNamed(name string) (error, bool) {
	s, _, ok := findSentinel(func(s namedSentinel) bool { return s.name == name })
	return s.err, ok
}

// findSentinel returns the first sentinel, built-in or registered, that
// match accepts, and whether it is a built-in one.
func findSentinel(match func(namedSentinel) bool) (s namedSentinel, builtin, ok bool) {
	if i := slices.IndexFunc(builtinSentinels, match); i >= 0 {
		return builtinSentinels[i], true, true
	}
	sentinelsMu.RLock()
	defer sentinelsMu.RUnlock()
	if i := slices.IndexFunc(registered, match); i >= 0 {
		return registered[i], false, true
	}
	return namedSentinel{}, false, false
}

var errorType = reflect.TypeFor[error]()
