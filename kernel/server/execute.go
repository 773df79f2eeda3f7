package server

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/jupyter"
	"github.com/gokernel/gokernel/kernel/transport"
)

// execQueue holds execute requests in arrival order for the execute goroutine.
type execQueue struct {
	mu    sync.Mutex
	items []*request
	wake  chan struct{}
	// count is the execution counter once the popped requests have run:
	// the waiting ones will run as count+1, count+2 ...
	count int
	// running is the request popped last, until it has finished.
	running *request

	// tell hears what waits, after every change (the interpreter's
	// interp.Lookahead, or nil); tellMu keeps the calls in order.
	tell   func([]interp.ExecuteRequest)
	tellMu sync.Mutex
}

func (q *execQueue) init() { q.wake = make(chan struct{}, 1) }

func (q *execQueue) push(r *request) {
	if r.exec == nil {
		var req jupyter.ExecuteRequest
		if err := r.msg.DecodeContent(&req); err == nil {
			r.exec = &req
		}
	}
	q.mu.Lock()
	q.items = append(q.items, r)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	q.notify()
}

// stores reports whether a request counts (and so takes the next execution
// count), as execute decides it.
func stores(req *jupyter.ExecuteRequest) bool {
	return req != nil && req.WantsHistory() && !req.Silent
}

// notify tells the interpreter the requests not finished: the running one
// first, then those waiting, each with the count it will run as if the
// requests before it run.
func (q *execQueue) notify() {
	if q.tell == nil {
		return
	}
	q.tellMu.Lock()
	defer q.tellMu.Unlock()
	q.mu.Lock()
	waiting := make([]interp.ExecuteRequest, 0, len(q.items)+1)
	count := q.count
	add := func(req *jupyter.ExecuteRequest, count int) {
		waiting = append(waiting, interp.ExecuteRequest{
			Code: req.Code, Count: count, Silent: req.Silent, StoreHistory: stores(req), AllowStdin: req.WantsStdin(),
		})
	}
	if q.running != nil && q.running.exec != nil {
		add(q.running.exec, count) // its count is taken already
	}
	for _, r := range q.items {
		if r.exec == nil {
			break // it will fail to decode; what follows it is not foreseeable
		}
		if stores(r.exec) {
			count++
		}
		add(r.exec, count)
	}
	q.mu.Unlock()
	q.tell(waiting)
}

// finished says the running request has been answered.
func (q *execQueue) finished() {
	q.mu.Lock()
	q.running = nil
	q.mu.Unlock()
	q.notify()
}

// pop waits for the next request; false when ctx ends (even if requests
// are waiting: a kernel shutting down starts no more cells).
func (q *execQueue) pop(ctx context.Context) (*request, bool) {
	for {
		if ctx.Err() != nil {
			return nil, false
		}
		q.mu.Lock()
		if len(q.items) > 0 {
			r := q.items[0]
			q.items = q.items[1:]
			if stores(r.exec) {
				q.count++
			}
			q.running = r
			q.mu.Unlock()
			q.notify()
			return r, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, false
		case <-q.wake:
		}
	}
}

// drain removes and returns every waiting request.
func (q *execQueue) drain() []*request {
	q.mu.Lock()
	items := q.items
	q.items = nil
	q.mu.Unlock()
	q.notify()
	return items
}

// runQueue is the execute goroutine: requests run one at a time, in order.
// After a failed cell whose request asked stop_on_error, the requests
// already waiting are answered "aborted" without running, as ipykernel does.
func (s *Server) runQueue(ctx context.Context) {
	for {
		r, ok := s.queue.pop(ctx)
		if !ok {
			return
		}
		var aborted []*request
		s.handle(ctx, r, route{handle: func(ctx context.Context, r *request) error {
			var err error
			aborted, err = s.execute(ctx, r)
			return err
		}})
		s.queue.finished()
		// After the failed request's idle, so busy/idle pairs do not nest.
		for _, waiting := range aborted {
			s.abort(waiting)
		}
	}
}

// abort answers a queued request without running it.
func (s *Server) abort(r *request) {
	s.status(r.msg, "busy")
	s.log.Info("aborted after an earlier error", "msg_id", r.msg.Header.MsgID)
	s.reply(r, "execute_reply", map[string]any{"status": jupyter.StatusAborted})
	s.status(r.msg, "idle")
}

// execute runs one execute_request. When the cell fails and the request
// asked stop_on_error, it takes the requests waiting in the queue at that
// moment (before the error reply goes out, so a request sent in answer to
// the reply is not among them) and returns them to be aborted.
//
// Execution count, as in ipykernel: the counter goes up for each request that
// is not silent and stores history; execute_input and the reply carry the
// counter's value; silent requests publish neither execute_input nor
// execute_result.
func (s *Server) execute(ctx context.Context, r *request) (aborted []*request, err error) {
	if r.exec == nil {
		var req jupyter.ExecuteRequest
		if err := r.msg.DecodeContent(&req); err != nil {
			s.replyError(r, "execute_reply", err)
			return nil, err
		}
		r.exec = &req
	}
	req := *r.exec
	store := stores(&req)
	if store {
		s.count++
	}
	count := s.count
	if !req.Silent {
		s.publish(r.msg, "execute_input", jupyter.ExecuteInput{Code: req.Code, ExecutionCount: count})
	}

	cellCtx, cancel := context.WithCancel(ctx)
	s.cellMu.Lock()
	s.cancelCell = cancel
	s.cellMu.Unlock()
	out := &cellOutput{s: s, parent: r.msg, allowStdin: req.WantsStdin()}
	res, runErr := s.runCell(cellCtx, interp.ExecuteRequest{
		Code: req.Code, Count: count, Silent: req.Silent, StoreHistory: store, AllowStdin: req.WantsStdin(),
	}, out)
	out.close()
	s.cellMu.Lock()
	s.cancelCell = nil
	s.cellMu.Unlock()
	cancel()

	var shown *string
	if runErr != nil && req.WantsStopOnError() {
		aborted = s.queue.drain()
	}
	if runErr != nil {
		e := errorContent(runErr)
		s.publish(r.msg, "error", e)
		s.reply(r, "execute_reply", jupyter.ExecuteErrorReply{
			Status: jupyter.StatusError, ExecutionCount: count,
			Ename: e.Ename, Evalue: e.Evalue, Traceback: e.Traceback,
		})
	} else {
		var payload []map[string]any
		if res != nil {
			payload = res.Payload
			if res.Data != nil && !req.Silent {
				s.publish(r.msg, "execute_result", jupyter.ExecuteResult{
					ExecutionCount: count, Data: res.Data, Metadata: orEmpty(res.Metadata),
				})
				if text, ok := res.Data["text/plain"].(string); ok {
					shown = &text
				}
			}
		}
		if payload == nil {
			payload = []map[string]any{}
		}
		s.reply(r, "execute_reply", jupyter.ExecuteReply{
			Status: jupyter.StatusOK, ExecutionCount: count,
			Payload: payload, UserExpressions: map[string]any{},
		})
	}
	if store {
		if err := s.history.add(count, req.Code, shown); err != nil {
			s.log.Warn("history not saved", "err", err)
		}
	}
	var cellErr *interp.Error
	if runErr != nil && !errors.As(runErr, &cellErr) {
		return aborted, fmt.Errorf("kernel error in cell %d: %w", count, runErr)
	}
	return aborted, nil
}

// runCell calls Execute and turns a panic in the interpreter into an error,
// so a bug there costs one cell, not the kernel.
func (s *Server) runCell(ctx context.Context, req interp.ExecuteRequest, out interp.Output) (res *interp.ExecuteResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("interpreter panicked: %v", p)
		}
	}()
	return s.interp.Execute(ctx, req, out)
}

// errorContent is the one place an error becomes ename/evalue/traceback: a
// cell's *interp.Error as it is, anything else as a KernelError.
func errorContent(err error) jupyter.Error {
	var cellErr *interp.Error
	if errors.As(err, &cellErr) {
		e := jupyter.Error{Ename: orDefault(cellErr.Name, "Error"), Evalue: cellErr.Value, Traceback: cellErr.Traceback}
		if e.Traceback == nil {
			e.Traceback = []string{}
		}
		return e
	}
	return jupyter.Error{Ename: "KernelError", Evalue: err.Error(), Traceback: []string{"KernelError: " + err.Error()}}
}

// cellOutput is the interp.Output of one execute request: each call becomes
// an iopub message (or an input_request on stdin) whose parent is the request.
type cellOutput struct {
	s          *Server
	parent     *jupyter.Message
	allowStdin bool

	mu     sync.Mutex
	closed bool
}

// close ends the output: calls after Execute returned are dropped (and
// logged), so nothing can follow the request's idle.
func (o *cellOutput) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

// publish sends one iopub message unless the output is closed. Holding the
// lock while publishing keeps concurrent calls in one order.
func (o *cellOutput) publish(msgType string, content any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		o.s.log.Warn("output after the cell ended; dropped", "msg_type", msgType)
		return
	}
	o.s.publish(o.parent, msgType, content)
}

func (o *cellOutput) Stream(name, text string) {
	o.publish("stream", jupyter.Stream{Name: name, Text: text})
}

func (o *cellOutput) Display(d interp.Display) {
	content := jupyter.DisplayData{Data: orEmpty(d.Data), Metadata: orEmpty(d.Metadata)}
	if d.DisplayID != "" {
		content.Transient = map[string]any{"display_id": d.DisplayID}
	}
	msgType := "display_data"
	if d.Update {
		msgType = "update_display_data"
	}
	o.publish(msgType, content)
}

func (o *cellOutput) ClearOutput(wait bool) {
	o.publish("clear_output", jupyter.ClearOutput{Wait: wait})
}

// Input sends input_request on stdin to the client that sent the execute
// request (the shell request's routing identity) and waits for input_reply.
func (o *cellOutput) Input(ctx context.Context, prompt string, password bool) (string, error) {
	if !o.allowStdin {
		return "", interp.ErrNoStdin
	}
	s := o.s
	s.inputMu.Lock()
	defer s.inputMu.Unlock()
	select { // a reply nobody waited for must not answer this request
	case <-s.inputs:
	default:
	}
	o.mu.Lock()
	closed := o.closed
	o.mu.Unlock()
	if closed {
		return "", errors.New("input requested after the cell ended")
	}
	if err := s.send(transport.Stdin, o.parent, "input_request", jupyter.InputRequest{Prompt: prompt, Password: password}, nil); err != nil {
		return "", fmt.Errorf("asking the frontend for input: %w", err)
	}
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case msg := <-s.inputs:
		var reply jupyter.InputReply
		if err := msg.DecodeContent(&reply); err != nil {
			return "", err
		}
		return reply.Value, nil
	}
}
