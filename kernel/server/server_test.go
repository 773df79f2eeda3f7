package server

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/kernel/jupyter"
	"github.com/gokernel/gokernel/kernel/transport"
)

func TestKernelInfoOnShellAndControl(t *testing.T) {
	k := startKernel(t)
	for _, ch := range []transport.Channel{transport.Shell, transport.Control} {
		t.Run(string(ch), func(t *testing.T) {
			req := k.send(ch, "kernel_info_request", map[string]any{})
			reply := k.recv(ch, "kernel_info_reply")
			if !bytes.Equal(reply.ParentHeader, req.HeaderJSON()) {
				t.Errorf("parent_header: have %s want the request header %s", reply.ParentHeader, req.HeaderJSON())
			}
			var info jupyter.KernelInfoReply
			if err := reply.DecodeContent(&info); err != nil {
				t.Fatal(err)
			}
			if info.ProtocolVersion != "5.4" || info.Status != "ok" {
				t.Errorf("have protocol %q status %q, want 5.4 ok", info.ProtocolVersion, info.Status)
			}
			l := info.LanguageInfo
			have := []string{l.Name, l.Version, l.MIMEType, l.FileExtension, l.PygmentsLexer, l.CodeMirrorMode, info.Implementation}
			want := []string{"go", "1.99", "text/x-go", ".go", "go", "go", "fake"}
			if !slices.Equal(have, want) {
				t.Errorf("language_info: have %v want %v", have, want)
			}
			var urls []string
			for _, h := range info.HelpLinks {
				urls = append(urls, h.URL)
			}
			for _, u := range []string{"https://example.invalid/fake", "https://go.dev/doc/", "https://github.com/gokernel/gokernel#readme"} {
				if !slices.Contains(urls, u) {
					t.Errorf("help_links %v lack %s", urls, u)
				}
			}
			if have, want := types(k.untilIdle(req)), []string{"status:busy", "status:idle"}; !slices.Equal(have, want) {
				t.Errorf("iopub: have %v want %v", have, want)
			}
		})
	}
}

func TestExecuteMessageOrder(t *testing.T) {
	tests := []struct {
		name       string
		content    map[string]any
		wantIOPub  []string
		wantStatus string
		wantCount  int
	}{
		{"stream", map[string]any{"code": "print:hi"}, []string{"status:busy", "execute_input", "stream", "status:idle"}, "ok", 1},
		{"value", map[string]any{"code": "value:42"}, []string{"status:busy", "execute_input", "execute_result", "status:idle"}, "ok", 2},
		{"silent value", map[string]any{"code": "value:42", "silent": true}, []string{"status:busy", "status:idle"}, "ok", 2},
		{"no history", map[string]any{"code": "print:x", "store_history": false}, []string{"status:busy", "execute_input", "stream", "status:idle"}, "ok", 2},
		{"display", map[string]any{"code": "display"}, []string{"status:busy", "execute_input", "display_data", "update_display_data", "status:idle"}, "ok", 3},
		{"clear", map[string]any{"code": "clear"}, []string{"status:busy", "execute_input", "clear_output", "status:idle"}, "ok", 4},
		{"cell error", map[string]any{"code": "fail"}, []string{"status:busy", "execute_input", "error", "status:idle"}, "error", 5},
		{"kernel error", map[string]any{"code": "kernelerr"}, []string{"status:busy", "execute_input", "error", "status:idle"}, "error", 6},
		{"interpreter panic", map[string]any{"code": "panic"}, []string{"status:busy", "execute_input", "error", "status:idle"}, "error", 7},
		{"after errors", map[string]any{"code": "print:still here"}, []string{"status:busy", "execute_input", "stream", "status:idle"}, "ok", 8},
	}
	k := startKernel(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, iopub := k.execute(tt.content)
			if have := types(iopub); !slices.Equal(have, tt.wantIOPub) {
				t.Errorf("iopub: have %v want %v", have, tt.wantIOPub)
			}
			c := content(t, reply)
			if c["status"] != tt.wantStatus || c["execution_count"] != float64(tt.wantCount) {
				t.Errorf("reply: have status %v count %v, want %s %d", c["status"], c["execution_count"], tt.wantStatus, tt.wantCount)
			}
			for _, m := range append(iopub, reply) {
				if parentID(m) != parentID(iopub[0]) || parentID(m) == "" {
					t.Errorf("%s: parent msg_id %q differs from the request's", m.Header.MsgType, parentID(m))
				}
			}
			if tt.wantStatus == "ok" {
				if _, ok := c["user_expressions"].(map[string]any); !ok {
					t.Errorf("ok reply lacks user_expressions: %v", c)
				}
			}
		})
	}
	t.Run("contents", func(t *testing.T) {
		reply, iopub := k.execute(map[string]any{"code": "value:42"})
		if p, _ := content(t, reply)["payload"].([]any); len(p) != 1 {
			t.Errorf("payload: have %v want the interpreter's one page", content(t, reply)["payload"])
		}
		res := content(t, iopub[2])
		if res["data"].(map[string]any)["text/plain"] != "42" || res["execution_count"] != float64(9) {
			t.Errorf("execute_result: have %v", res)
		}
		reply, iopub = k.execute(map[string]any{"code": "kernelerr"})
		if c := content(t, reply); c["ename"] != "KernelError" || !strings.Contains(c["evalue"].(string), "disk on fire") {
			t.Errorf("kernel error reply: have %v", c)
		}
		if e := content(t, iopub[2]); e["ename"] != "KernelError" {
			t.Errorf("error message: have %v", e)
		}
		_, iopub = k.execute(map[string]any{"code": "display"})
		if tr := content(t, iopub[2])["transient"]; tr.(map[string]any)["display_id"] != "d1" {
			t.Errorf("display transient: have %v", tr)
		}
	})
	_, counts, _ := k.fake.snapshot()
	if want := []int{1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; !slices.Equal(counts, want) {
		t.Errorf("counts passed to Execute: have %v want %v", counts, want)
	}
}

func TestBadMessagesAreDroppedAndKernelServes(t *testing.T) {
	k := startKernel(t)
	good := k.newRequest("execute_request", map[string]any{"code": "print:must not run"})
	wrongKey := jupyter.Encode(good, jupyter.NewSigner([]byte("wrong key")))
	unsigned := jupyter.Encode(good, nil)
	valid := k.newRequest("kernel_info_request", map[string]any{})
	validFrames := jupyter.Encode(valid, k.signer)
	tests := []struct {
		name   string
		frames [][]byte
	}{
		{"wrong signature", wrongKey},
		{"unsigned", unsigned},
		{"no delimiter", [][]byte{[]byte("garbage")}},
		{"header not json", jupyter.Encode(&jupyter.Message{RawHeader: []byte("{nope")}, k.signer)},
		{"unknown type", jupyter.Encode(k.newRequest("frobnicate_request", map[string]any{}), k.signer)},
		{"bad content", jupyter.Encode(&jupyter.Message{Header: k.newRequest("execute_request", nil).Header, Content: []byte(`{"code": 5}`)}, k.signer)},
		{"oversized", jupyter.Encode(k.newRequest("execute_request", map[string]any{"code": "print:" + strings.Repeat("x", MaxRequestContent)}), k.signer)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k.sendFrames(transport.Shell, tt.frames)
			if tt.name == "bad content" || tt.name == "oversized" { // the ones the kernel can answer
				if c := content(t, k.recv(transport.Shell, "execute_reply")); c["status"] != "error" || c["ename"] != "BadRequest" {
					t.Errorf("have %v, want a BadRequest error reply", c)
				}
			}
		})
	}
	// A replay of a valid message is refused too: send it twice.
	k.sendFrames(transport.Shell, validFrames)
	k.recv(transport.Shell, "kernel_info_reply")
	k.sendFrames(transport.Shell, validFrames)

	reply, _ := k.execute(map[string]any{"code": "print:ok"})
	if c := content(t, reply); c["status"] != "ok" {
		t.Fatalf("kernel stopped serving: %v", c)
	}
	// No other bad message produced a reply.
	var extra []string
	for len(k.replies[transport.Shell]) > 0 {
		extra = append(extra, (<-k.replies[transport.Shell]).Header.MsgType)
	}
	if len(extra) > 0 {
		t.Errorf("replies to dropped messages: %v", extra)
	}
	executed, _, _ := k.fake.snapshot()
	if slices.Contains(executed, "print:must not run") {
		t.Errorf("a message with a bad signature was executed: %v", executed)
	}
	logs := k.logs.String()
	for _, want := range []string{"missing or invalid signature", "replayed", "unknown message type"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(logs, testKey) {
		t.Errorf("the key was logged")
	}
}

func TestStopOnErrorAbortsQueued(t *testing.T) {
	k := startKernel(t)
	fail := k.send(transport.Shell, "execute_request", map[string]any{"code": "fail"})
	queued1 := k.send(transport.Shell, "execute_request", map[string]any{"code": "print:queued 1"})
	queued2 := k.send(transport.Shell, "execute_request", map[string]any{"code": "print:queued 2"})
	want := []struct {
		req    *jupyter.Message
		status string
	}{{fail, "error"}, {queued1, "aborted"}, {queued2, "aborted"}}
	for _, w := range want {
		reply := k.recv(transport.Shell, "execute_reply")
		if parentID(reply) != w.req.Header.MsgID || content(t, reply)["status"] != w.status {
			t.Errorf("reply to %s: have %v", w.req.Header.MsgID, content(t, reply))
		}
		if have := types(k.untilIdle(w.req)); have[0] != "status:busy" {
			t.Errorf("iopub of %s: have %v, want busy first", w.status, have)
		}
	}
	reply, _ := k.execute(map[string]any{"code": "print:after", "stop_on_error": false})
	if c := content(t, reply); c["status"] != "ok" || c["execution_count"] != float64(2) {
		t.Errorf("after abort: have %v, want ok with count 2 (aborted cells are not counted)", c)
	}
	executed, _, _ := k.fake.snapshot()
	if want := []string{"fail", "print:after"}; !slices.Equal(executed, want) {
		t.Errorf("executed: have %v want %v", executed, want)
	}

	t.Run("stop_on_error false keeps the queue", func(t *testing.T) {
		k.send(transport.Shell, "execute_request", map[string]any{"code": "fail", "stop_on_error": false})
		k.send(transport.Shell, "execute_request", map[string]any{"code": "print:runs"})
		k.recv(transport.Shell, "execute_reply")
		if c := content(t, k.recv(transport.Shell, "execute_reply")); c["status"] != "ok" {
			t.Errorf("have %v, want ok", c)
		}
	})
}

// The interpreter hears what waits in the execute queue, the running
// request first, each with the count it will run as; after an abort, that
// nothing waits.
func TestQueuedTellsTheInterpreterWhatWaits(t *testing.T) {
	k := startKernel(t)
	k.send(transport.Shell, "execute_request", map[string]any{"code": "fail"})
	k.send(transport.Shell, "execute_request", map[string]any{"code": "print:a"})
	k.send(transport.Shell, "execute_request", map[string]any{"code": "print:b", "silent": true})
	k.send(transport.Shell, "execute_request", map[string]any{"code": "print:c"})
	for range 4 {
		k.recv(transport.Shell, "execute_reply")
	}
	calls := k.fake.queuedCalls()
	if want := "fail#1 print:a#2 print:b#2(silent) print:c#3"; !slices.Contains(calls, want) {
		t.Errorf("Queued calls %q: none is %q", calls, want)
	}
	if last := calls[len(calls)-1]; last != "" {
		t.Errorf("last Queued call after the abort: have %q, want none waiting", last)
	}

	// Counts told ahead are the counts the cells run as.
	k.send(transport.Shell, "execute_request", map[string]any{"code": "fail", "stop_on_error": false})
	k.send(transport.Shell, "execute_request", map[string]any{"code": "print:x", "silent": true})
	k.send(transport.Shell, "execute_request", map[string]any{"code": "print:y"})
	for range 3 {
		k.recv(transport.Shell, "execute_reply")
	}
	executed, counts, _ := k.fake.snapshot()
	ran := map[string]string{}
	for i, code := range executed {
		ran[code] = fmt.Sprintf("%s#%d", code, counts[i])
	}
	told := strings.Join([]string{ran["fail"], ran["print:x"] + "(silent)", ran["print:y"]}, " ")
	if !slices.Contains(k.fake.queuedCalls(), told) {
		t.Errorf("Queued calls %q: none is what ran, %q", k.fake.queuedCalls(), told)
	}
}

func TestInterruptAndCompleteWhileRunning(t *testing.T) {
	k := startKernel(t)
	run := k.send(transport.Shell, "execute_request", map[string]any{"code": "sleep"})
	k.waitStarted("sleep")

	start := time.Now()
	k.send(transport.Shell, "complete_request", map[string]any{"code": "fmt.Pri", "cursor_pos": 7})
	comp := k.recv(transport.Shell, "complete_reply")
	if c := content(t, comp); c["cursor_start"] != float64(4) || len(c["matches"].([]any)) != 2 {
		t.Errorf("complete_reply: have %v", c)
	}
	k.send(transport.Shell, "inspect_request", map[string]any{"code": "fmt.Println", "cursor_pos": 5})
	k.recv(transport.Shell, "inspect_reply")
	k.send(transport.Shell, "is_complete_request", map[string]any{"code": "for {"})
	if c := content(t, k.recv(transport.Shell, "is_complete_reply")); c["status"] != "incomplete" || c["indent"] != "\t" {
		t.Errorf("is_complete_reply: have %v", c)
	}
	k.send(transport.Control, "kernel_info_request", map[string]any{})
	k.recv(transport.Control, "kernel_info_reply")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("answers while a cell runs took %v", d)
	}

	k.send(transport.Control, "interrupt_request", map[string]any{})
	k.recv(transport.Control, "interrupt_reply")
	reply := k.recv(transport.Shell, "execute_reply")
	if c := content(t, reply); parentID(reply) != run.Header.MsgID || c["status"] != "error" || c["ename"] != "Interrupted" {
		t.Errorf("interrupted reply: have %v", c)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("interrupt took %v", d)
	}
	reply, _ = k.execute(map[string]any{"code": "print:next"})
	if c := content(t, reply); c["status"] != "ok" {
		t.Errorf("cell after interrupt: have %v", c)
	}

	t.Run("Interrupt method (SIGINT path)", func(t *testing.T) {
		k.send(transport.Shell, "execute_request", map[string]any{"code": "sleep"})
		k.waitStarted("sleep")
		k.srv.Interrupt()
		if c := content(t, k.recv(transport.Shell, "execute_reply")); c["ename"] != "Interrupted" {
			t.Errorf("have %v", c)
		}
	})
}

func TestStdinInput(t *testing.T) {
	k := startKernel(t)
	req := k.send(transport.Shell, "execute_request", map[string]any{"code": "input", "allow_stdin": true})
	ask := k.recv(transport.Stdin, "input_request")
	if parentID(ask) != req.Header.MsgID || content(t, ask)["prompt"] != "name? " {
		t.Errorf("input_request: parent %s content %v", parentID(ask), content(t, ask))
	}
	k.send(transport.Stdin, "input_reply", map[string]any{"value": "gopher"})
	k.recv(transport.Shell, "execute_reply")
	var text string
	for _, m := range k.untilIdle(req) {
		if m.Header.MsgType == "stream" {
			text += content(t, m)["text"].(string)
		}
	}
	if text != "hello gopher" {
		t.Errorf("stream: have %q want %q", text, "hello gopher")
	}

	reply, _ := k.execute(map[string]any{"code": "input", "allow_stdin": false})
	if c := content(t, reply); c["ename"] != "InputError" || !strings.Contains(c["evalue"].(string), "stdin is not available") {
		t.Errorf("allow_stdin=false: have %v", c)
	}
}

func TestCommsAndHistory(t *testing.T) {
	k := startKernel(t)
	open := k.send(transport.Shell, "comm_open", map[string]any{"comm_id": "c1", "target_name": "jupyter.widget", "data": map[string]any{}})
	msgs := k.untilIdle(open)
	if have := types(msgs); !slices.Equal(have, []string{"status:busy", "comm_close", "status:idle"}) {
		t.Errorf("comm_open: have %v", have)
	} else if content(t, msgs[1])["comm_id"] != "c1" {
		t.Errorf("comm_close for the wrong comm: %v", content(t, msgs[1]))
	}
	k.send(transport.Shell, "comm_info_request", map[string]any{})
	if c := content(t, k.recv(transport.Shell, "comm_info_reply")); len(c["comms"].(map[string]any)) != 0 {
		t.Errorf("comm_info: have %v", c)
	}

	for _, code := range []string{"value:1", "print:a", "value:1"} {
		k.execute(map[string]any{"code": code})
	}
	k.send(transport.Shell, "history_request", map[string]any{"hist_access_type": "tail", "n": 2, "output": true, "raw": true})
	h := content(t, k.recv(transport.Shell, "history_reply"))["history"].([]any)
	if len(h) != 2 || h[1].([]any)[1] != float64(3) || h[1].([]any)[2].([]any)[1] != "1" {
		t.Errorf("tail: have %v", h)
	}
	k.send(transport.Shell, "history_request", map[string]any{"hist_access_type": "search", "pattern": "value:*", "unique": true})
	if h := content(t, k.recv(transport.Shell, "history_reply"))["history"].([]any); len(h) != 1 {
		t.Errorf("search unique: have %v", h)
	}
}

func TestShutdown(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "stop", true: "restart"}[restart], func(t *testing.T) {
			k := startKernel(t)
			k.send(transport.Shell, "execute_request", map[string]any{"code": "sleep"})
			k.waitStarted("sleep")
			req := k.send(transport.Control, "shutdown_request", map[string]any{"restart": restart})
			reply := k.recv(transport.Control, "shutdown_reply")
			if c := content(t, reply); c["restart"] != restart || c["status"] != "ok" {
				t.Errorf("shutdown_reply: have %v", c)
			}
			if have := types(k.untilIdle(req)); !slices.Contains(have, "shutdown_reply") {
				t.Errorf("iopub: have %v, want a shutdown_reply broadcast", have)
			}
			select {
			case err := <-k.served:
				if err != nil {
					t.Errorf("Serve: have %v want nil", err)
				}
				k.served <- err // for the cleanup
			case <-time.After(5 * time.Second):
				t.Fatal("Serve still running 5 s after shutdown_request")
			}
			if c := content(t, k.recv(transport.Shell, "execute_reply")); c["ename"] != "Interrupted" {
				t.Errorf("running cell: have %v, want it interrupted", c)
			}
			if _, _, closed := k.fake.snapshot(); !closed {
				t.Errorf("interpreter not closed")
			}
		})
	}
}

// A client that subscribes to iopub while a cell runs (a JupyterLab tab
// reloaded mid-cell) is told the kernel is busy, and one that subscribes
// when nothing runs that it is idle, without waiting for the next request.
// Without the welcome neither hears a status until the kernel next changes
// state.
func TestLateSubscriberIsToldTheStatus(t *testing.T) {
	k := startKernel(t)
	late := func() chan *jupyter.Message {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		sub := zmq4.NewSub(ctx)
		t.Cleanup(func() { cancel(); sub.Close() })
		if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
			t.Fatal(err)
		}
		if err := sub.Dial(k.srv.tr.(*transport.Sockets).Info().Endpoint(k.srv.tr.(*transport.Sockets).Info().IOPubPort)); err != nil {
			t.Fatal(err)
		}
		msgs := make(chan *jupyter.Message, 100)
		go k.read(sub, msgs)
		return msgs
	}
	firstStatus := func(msgs chan *jupyter.Message) (state string, parent string) {
		t.Helper()
		deadline := time.After(2 * time.Second)
		for {
			select {
			case m := <-msgs:
				if m.Header.MsgType == "status" {
					return content(t, m)["execution_state"].(string), parentID(m)
				}
			case <-deadline:
				t.Fatal("the late subscriber heard no status within 2 s")
			}
		}
	}

	if state, parent := firstStatus(late()); state != "idle" || parent != "" {
		t.Errorf("subscribed while idle: first status %q (parent %q), want idle with no parent", state, parent)
	}
	req := k.send(transport.Shell, "execute_request", map[string]any{"code": "sleep", "silent": false, "store_history": true, "user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true})
	k.waitStarted("sleep")
	if state, parent := firstStatus(late()); state != "busy" || parent != "" {
		t.Errorf("subscribed while a cell runs: first status %q (parent %q), want busy with no parent", state, parent)
	}
	k.send(transport.Control, "interrupt_request", map[string]any{})
	k.recv(transport.Control, "interrupt_reply")
	k.untilIdle(req)
	if state, _ := firstStatus(late()); state != "idle" {
		t.Errorf("subscribed after the cell: first status %q, want idle", state)
	}
}

// A request answered while a cell runs ends with its own idle (its sender
// waits for it), and then the kernel says it is still busy: JupyterLab takes
// every status for the kernel's state and would otherwise show idle while the
// cell runs. Once nothing runs, an idle is the last word.
func TestStatusStaysBusyWhileACellRuns(t *testing.T) {
	k := startKernel(t)
	run := k.send(transport.Shell, "execute_request", map[string]any{"code": "sleep", "silent": false, "store_history": true, "user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true})
	k.waitStarted("sleep")
	k.drainIOPub()
	ask := k.send(transport.Shell, "complete_request", map[string]any{"code": "fmt.Pr", "cursor_pos": 6})
	k.recv(transport.Shell, "complete_reply")
	var seen []string
	deadline := time.After(2 * time.Second)
	for len(seen) < 3 {
		select {
		case m := <-k.iopubMsgs:
			if m.Header.MsgType != "status" {
				continue
			}
			who := "none"
			switch parentID(m) {
			case ask.Header.MsgID:
				who = "complete"
			case run.Header.MsgID:
				who = "execute"
			}
			st := content(t, m)["execution_state"].(string) + "(" + who + ")"
			if len(seen) == 0 && st != "busy(complete)" {
				continue // the cell's own busy, published before
			}
			seen = append(seen, st)
		case <-deadline:
			t.Fatalf("statuses after a complete_request during a cell: have %v, want 3 within 2 s", seen)
		}
	}
	if want := []string{"busy(complete)", "idle(complete)", "busy(none)"}; !slices.Equal(seen, want) {
		t.Errorf("statuses after a complete_request during a cell: have %v, want %v", seen, want)
	}
	k.send(transport.Control, "interrupt_request", map[string]any{})
	k.recv(transport.Control, "interrupt_reply")
	msgs := k.untilIdle(run)
	k.recv(transport.Shell, "execute_reply")
	if last := msgs[len(msgs)-1]; content(t, last)["execution_state"] != "idle" {
		t.Errorf("the cell's last status: have %v, want idle", content(t, last)["execution_state"])
	}
	// Nothing runs now: a request's idle is not followed by busy.
	k.drainIOPub()
	info := k.send(transport.Shell, "kernel_info_request", map[string]any{})
	k.recv(transport.Shell, "kernel_info_reply")
	k.untilIdle(info)
	select {
	case m := <-k.iopubMsgs:
		if m.Header.MsgType == "status" {
			t.Errorf("after an idle kernel's kernel_info: a further status %v", content(t, m)["execution_state"])
		}
	case <-time.After(200 * time.Millisecond):
	}
}
