// Command locks is the Go version of the source article's Lock section
// (§3.1.2): a counter shared by goroutines, counted three ways.
//
//   - racyCount: counter++ with no lock. Updates get lost, and `go run -race`
//     reports the data race.
//   - mutexCount: the same loop under sync.Mutex (Python's `with lock:`).
//   - atomicCount: sync/atomic, no lock at all.
//
// It also shows sync.RWMutex for data read far more often than written, and
// the classic deadlock of two locks taken in opposite orders, avoided by
// always taking them in one order.
//
// Run it with
//
//	go run ./examples/locks
//	go run -race ./examples/locks   # the race detector reports racyCount
//
// Files:
//   - main.go: the three counters, the RWMutex-guarded table, the transfer
//     between two accounts that takes locks in a fixed order, main.
//   - race.go, norace.go: raceEnabled, true when built with -race.
//   - locks_test.go: exact totals with the mutex and atomic, lost updates
//     allowed only without a lock, concurrent transfers that never deadlock.
//   - main_test.go: runs main as `go run` would and checks the lines that
//     carry the lesson.
package main
