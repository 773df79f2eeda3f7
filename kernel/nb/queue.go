package nb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"reflect"
	"sync"
	"time"
)

// Errors of queue operations, for errors.Is.
var (
	// ErrClosed: Put on a closed queue, or Get on a closed queue that has
	// been drained.
	ErrClosed = errors.New("nb: queue closed")
	// ErrTimeout: GetTimeout found no item in time, or JoinTimeout
	// found the process still running.
	ErrTimeout = errors.New("nb: timed out")
)

// Queue is a FIFO queue of T that works across processes, the lesson's
// counterpart of Python's multiprocessing.Queue. Items are copied with
// encoding/gob, so T must be gob-encodable. The process that created the
// queue holds the items; a child process given the queue as an argument
// (nb.Start(producer, q)) reaches it over a unix socket. Any number of
// goroutines and processes may put and get at once; items from one producer
// arrive in the order it put them.
type Queue[T any] struct {
	store *queueStore // the items; nil in a process that received the queue

	addr    string // unix socket of the creating process; "" until shared
	serveMu sync.Mutex
	server  *queueServer

	poolMu sync.Mutex
	pool   []*os.File // idle connections to addr (remote side)
}

// NewQueue makes an empty queue. It starts serving other processes only
// when it is first handed to one.
func NewQueue[T any]() *Queue[T] {
	return &Queue[T]{store: newQueueStore()}
}

// Put appends a copy of v to the queue. It fails with ErrClosed after
// Close, with an encoding error if v cannot be copied, and with a wrapped
// connection error if the process holding the queue is gone.
func (q *Queue[T]) Put(v T) error {
	item, err := encodeItem(v)
	if err != nil {
		return err
	}
	if q.store != nil {
		return q.store.put(item)
	}
	_, err = q.call(context.Background(), opPut, item, 0)
	return err
}

// encodeItem copies v into bytes: a presence byte, then v in gob. gob
// would turn a nil pointer, map or slice into a zero value (or refuse it),
// so nil travels as the presence byte alone and comes back as nil.
func encodeItem[T any](v T) ([]byte, error) {
	if isNil(reflect.ValueOf(&v).Elem()) {
		return []byte{0}, nil
	}
	buf := bytes.NewBuffer([]byte{1})
	if err := gob.NewEncoder(buf).Encode(&v); err != nil {
		return nil, fmt.Errorf("nb: queue put: a %T cannot be copied: %w", v, err)
	}
	return buf.Bytes(), nil
}

func decodeItem[T any](item []byte) (T, error) {
	var v T
	if len(item) == 0 || item[0] == 0 {
		return v, nil
	}
	if err := gob.NewDecoder(bytes.NewReader(item[1:])).Decode(&v); err != nil {
		return v, fmt.Errorf("nb: queue get: decoding a %T: %w", v, err)
	}
	return v, nil
}

func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Chan, reflect.Func:
		return v.IsNil()
	}
	return false
}

// Get removes and returns the oldest item, waiting as long as the queue is
// empty. Once the queue is closed and empty it returns ErrClosed.
func (q *Queue[T]) Get() (T, error) { return q.GetContext(context.Background()) }

// GetTimeout is Get waiting at most d; then it returns ErrTimeout.
func (q *Queue[T]) GetTimeout(d time.Duration) (T, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	v, err := q.GetContext(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = ErrTimeout
	}
	return v, err
}

// GetContext is Get that gives up when ctx ends, returning ctx.Err().
func (q *Queue[T]) GetContext(ctx context.Context) (T, error) {
	var zero T
	var item []byte
	var err error
	if q.store != nil {
		item, err = q.store.get(ctx)
	} else {
		var wait time.Duration
		if d, ok := ctx.Deadline(); ok {
			wait = max(time.Until(d), time.Nanosecond)
		}
		item, err = q.call(ctx, opGet, nil, wait)
	}
	if err != nil {
		return zero, err
	}
	return decodeItem[T](item)
}

// Close ends the queue: later Puts fail with ErrClosed, Gets return what
// is left and then ErrClosed. Closing twice is not an error.
func (q *Queue[T]) Close() error {
	if q.store != nil {
		q.store.close()
		return nil
	}
	_, err := q.call(context.Background(), opClose, nil, 0)
	return err
}

// Len returns the number of items in the queue right now (Python's
// qsize). Other processes may change it the moment after: deciding with it
// whether to Get is the race of the lesson's `while not q.empty()`. A
// queue whose process cannot be reached counts as empty (0); Put and Get
// report that error.
func (q *Queue[T]) Len() int {
	if q.store != nil {
		return q.store.len()
	}
	b, err := q.call(context.Background(), opLen, nil, 0)
	if err != nil || len(b) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(b))
}

// Empty reports whether the queue is empty right now; see Len for why that
// answer may be stale at once.
func (q *Queue[T]) Empty() bool { return q.Len() == 0 }

// All returns the items as they arrive, until the queue is closed and
// drained: for v := range q.All() { ... }. It stops at the first error; use
// Get to see errors.
func (q *Queue[T]) All() iter.Seq[T] {
	return func(yield func(T) bool) {
		for {
			v, err := q.Get()
			if err != nil || !yield(v) {
				return
			}
		}
	}
}

// GobEncode makes a queue an argument of nb.Start: it is encoded as the
// address of the socket on which the creating process serves it, which it
// starts serving now if it was not already.
func (q *Queue[T]) GobEncode() ([]byte, error) {
	if q.store == nil {
		return []byte(q.addr), nil
	}
	q.serveMu.Lock()
	defer q.serveMu.Unlock()
	if q.server == nil {
		s, err := serveQueue(q.store)
		if err != nil {
			return nil, fmt.Errorf("nb: queue: serving it to other processes: %w", err)
		}
		q.server, q.addr = s, s.addr
	}
	return []byte(q.addr), nil
}

// GobDecode makes the receiving process's queue a client of the address.
func (q *Queue[T]) GobDecode(b []byte) error {
	if len(b) == 0 {
		return errors.New("nb: queue: empty address")
	}
	q.addr = string(b)
	return nil
}

// Operations and reply statuses of the queue protocol. A request is
// op(1) wait-ns(8) len(4) payload; a reply is status(1) len(4) payload. A
// connection carries one request at a time.
const (
	opPut byte = iota + 1
	opGet
	opClose
	opLen
)

// Reply statuses; 0 is kept for "no reply" (the client hung up).
const (
	statusOK byte = iota + 1
	statusClosed
	statusTimeout
	statusError
)

// call sends one request on an idle connection (dialling one if needed)
// and waits for the reply. Ending ctx aborts the wait by dropping the
// connection; the server then puts back nothing (it only takes an item for a
// client that is still there).
func (q *Queue[T]) call(ctx context.Context, op byte, payload []byte, wait time.Duration) ([]byte, error) {
	conn, err := q.conn()
	if err != nil {
		return nil, fmt.Errorf("nb: queue at %s is unreachable (did the process that created it end?): %w", q.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	status, reply, err := roundTrip(conn, op, payload, wait)
	interrupted := !stop() // ctx ended during the call: conn has a deadline in the past
	if err != nil {
		conn.Close()
		if interrupted {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("nb: queue at %s: connection lost (did the process that created it end?): %w", q.addr, err)
	}
	// A reply that arrived is used even if ctx ended meanwhile: an item the
	// server handed over must not be dropped.
	if interrupted {
		conn.Close()
	} else {
		q.release(conn)
	}
	switch status {
	case statusOK:
		return reply, nil
	case statusClosed:
		return nil, ErrClosed
	case statusTimeout:
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, context.DeadlineExceeded
	default:
		return nil, fmt.Errorf("nb: queue at %s: %s", q.addr, reply)
	}
}

func (q *Queue[T]) conn() (*os.File, error) {
	q.poolMu.Lock()
	if n := len(q.pool); n > 0 {
		c := q.pool[n-1]
		q.pool = q.pool[:n-1]
		q.poolMu.Unlock()
		return c, nil
	}
	q.poolMu.Unlock()
	return dialUnix(q.addr)
}

func (q *Queue[T]) release(c *os.File) {
	q.poolMu.Lock()
	q.pool = append(q.pool, c)
	q.poolMu.Unlock()
}

func roundTrip(c *os.File, op byte, payload []byte, wait time.Duration) (byte, []byte, error) {
	req := make([]byte, 13, 13+len(payload))
	req[0] = op
	binary.BigEndian.PutUint64(req[1:9], uint64(wait))
	binary.BigEndian.PutUint32(req[9:13], uint32(len(payload)))
	if _, err := c.Write(append(req, payload...)); err != nil {
		return 0, nil, err
	}
	var head [5]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return 0, nil, err
	}
	reply := make([]byte, binary.BigEndian.Uint32(head[1:5]))
	if _, err := io.ReadFull(c, reply); err != nil {
		return 0, nil, err
	}
	return head[0], reply, nil
}

// queueStore holds the items of a queue in the process that created it.
type queueStore struct {
	mu     sync.Mutex
	items  [][]byte
	head   int
	closed bool
	// changed is closed (and replaced) whenever an item arrives or the
	// queue closes, waking every waiting Get so that one can take it.
	changed chan struct{}
}

func newQueueStore() *queueStore { return &queueStore{changed: make(chan struct{})} }

func (s *queueStore) put(item []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.items = append(s.items, item)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// tryGet takes the oldest item if there is one.
func (s *queueStore) tryGet() (item []byte, ok bool, changed chan struct{}, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head < len(s.items) {
		item = s.items[s.head]
		s.items[s.head] = nil
		s.head++
		if s.head == len(s.items) {
			s.items, s.head = s.items[:0], 0
		} else if s.head > 1024 && s.head*2 > len(s.items) {
			s.items, s.head = append([][]byte(nil), s.items[s.head:]...), 0
		}
		return item, true, nil, nil
	}
	if s.closed {
		return nil, false, nil, ErrClosed
	}
	return nil, false, s.changed, nil
}

func (s *queueStore) get(ctx context.Context) ([]byte, error) {
	for {
		item, ok, changed, err := s.tryGet()
		if ok || err != nil {
			return item, err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *queueStore) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

func (s *queueStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items) - s.head
}

// queueServer serves one queueStore on a unix socket.
type queueServer struct {
	store   *queueStore
	cleanup func() // removes the socket's file, if it has one
	addr    string
	ln      *os.File

	mu    sync.Mutex
	conns map[*os.File]struct{}
	done  bool
	wg    sync.WaitGroup
}

var (
	serversMu sync.Mutex
	servers   []*queueServer
)

func serveQueue(store *queueStore) (*queueServer, error) {
	addr, cleanup, err := newSocketAddr()
	if err != nil {
		return nil, err
	}
	ln, err := listenUnix(addr)
	if err != nil {
		cleanup()
		return nil, err
	}
	s := &queueServer{store: store, cleanup: cleanup, addr: addr, ln: ln, conns: map[*os.File]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	serversMu.Lock()
	servers = append(servers, s)
	serversMu.Unlock()
	return s, nil
}

func (s *queueServer) accept() {
	defer s.wg.Done()
	for {
		c, err := acceptUnix(s.ln)
		var refused errRefused
		if errors.As(err, &refused) {
			fmt.Fprintln(os.Stderr, refused)
			continue
		}
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

func (s *queueServer) serveConn(c *os.File) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReader(c)
	var head [13]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return
		}
		op := head[0]
		wait := time.Duration(binary.BigEndian.Uint64(head[1:9]))
		payload := make([]byte, binary.BigEndian.Uint32(head[9:13]))
		if _, err := io.ReadFull(r, payload); err != nil {
			return
		}
		status, reply := s.handle(c, r, op, payload, wait)
		if status == 0 {
			return // the client left while waiting
		}
		out := make([]byte, 5, 5+len(reply))
		out[0] = status
		binary.BigEndian.PutUint32(out[1:5], uint32(len(reply)))
		if _, err := c.Write(append(out, reply...)); err != nil {
			return
		}
	}
}

// handle runs one request. It returns status 0 when the client hung up
// during a Get, so that no item is taken for a client that is gone.
func (s *queueServer) handle(c *os.File, r *bufio.Reader, op byte, payload []byte, wait time.Duration) (byte, []byte) {
	switch op {
	case opPut:
		if err := s.store.put(payload); err != nil {
			return statusClosed, nil
		}
		return statusOK, nil
	case opClose:
		s.store.close()
		return statusOK, nil
	case opLen:
		return statusOK, binary.BigEndian.AppendUint64(nil, uint64(s.store.len()))
	case opGet:
		item, err := s.getFor(c, r, wait)
		switch {
		case err == nil:
			return statusOK, item
		case errors.Is(err, ErrClosed):
			return statusClosed, nil
		case errors.Is(err, context.DeadlineExceeded):
			return statusTimeout, nil
		default:
			return 0, nil
		}
	}
	return statusError, []byte(fmt.Sprintf("unknown operation %d", op))
}

// getFor takes an item for the client on c. If it has to wait, it watches
// the connection meanwhile: a client that hangs up (its process ended, or
// its context was cancelled) cancels the wait.
func (s *queueServer) getFor(c *os.File, r *bufio.Reader, wait time.Duration) ([]byte, error) {
	if item, ok, _, err := s.store.tryGet(); ok || err != nil {
		return item, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if wait > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, wait)
		defer cancelTimeout()
	}
	hungUp := make(chan struct{})
	go func() {
		defer close(hungUp)
		// The client sends nothing while it waits for the reply, so any
		// read result other than our own deadline means it has gone.
		if _, err := r.Peek(1); err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel()
		}
	}()
	item, err := s.store.get(ctx)
	c.SetReadDeadline(time.Unix(1, 0))
	<-hungUp
	c.SetReadDeadline(time.Time{})
	return item, err
}

// close stops serving: the listener, every connection, and the goroutines
// behind them, and removes the socket.
func (s *queueServer) close() {
	s.mu.Lock()
	s.done = true
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.cleanup()
}

// closeQueueServers stops every queue server of this process (at the end
// of the cell, so their goroutines are not reported as left behind).
func closeQueueServers() {
	serversMu.Lock()
	list := servers
	servers = nil
	serversMu.Unlock()
	for _, s := range list {
		s.close()
	}
}
