package clienttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// hubClient talks to JupyterHub and, through its proxy, to a user's single-user server,
// as a browser or a script does: a cookie jar for the login session, or a token.
type hubClient struct {
	base  string // http://127.0.0.1:PORT, the proxy's public side
	http  *http.Client
	token string // "Authorization: token ..." when set
}

func newHubClient(base, token string) *hubClient {
	jar, _ := cookiejar.New(nil)
	return &hubClient{base: base, token: token, http: &http.Client{
		Jar: jar,
		// Redirects are looked at, not followed: after login the hub would send a browser
		// on to /hub/spawn, which starts the server outside the student's timing.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       5 * time.Minute,
	}}
}

// hubError is a response with an unexpected status.
type hubError struct {
	method, path string
	status       int
	body         string
}

func (e *hubError) Error() string {
	body := e.body
	if len(body) > 500 {
		body = body[:500] + "..."
	}
	return fmt.Sprintf("%s %s: status %d: %s", e.method, e.path, e.status, strings.TrimSpace(body))
}

// call sends a request with a JSON body (nil for none), expects one of the given statuses
// and decodes a JSON answer into out (nil to ignore it).
func (c *hubClient) call(ctx context.Context, method, path string, body, out any, want ...int) (int, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "token "+c.token)
	} else {
		// JupyterHub 3 accepts a cookie-authenticated API call only from its own pages.
		req.Header.Set("Referer", c.base+"/hub/home")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	ok := false
	for _, w := range want {
		ok = ok || resp.StatusCode == w
	}
	if !ok {
		return resp.StatusCode, &hubError{method: method, path: path, status: resp.StatusCode, body: string(data)}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w in %.300s", method, path, err, data)
		}
	}
	return resp.StatusCode, nil
}

// hubUser is the part of GET /hub/api/users/NAME the test reads.
type hubUser struct {
	Name    string `json:"name"`
	Servers map[string]struct {
		Ready   bool   `json:"ready"`
		Pending string `json:"pending"`
		URL     string `json:"url"`
	} `json:"servers"`
}

// hubStudent is one simulated student: a hub account, a browser-like session and, once
// logged in, a token for the REST and websocket calls a notebook page makes.
type hubStudent struct {
	name, password string
	c              *hubClient
}

func newHubStudent(base, name, password string) *hubStudent {
	return &hubStudent{name: name, password: password, c: newHubClient(base, "")}
}

// logIn posts the login form (as the login page does) and takes a token for the API.
func (s *hubStudent) logIn(ctx context.Context) error {
	form := url.Values{"username": {s.name}, "password": {s.password}}
	req, err := http.NewRequestWithContext(ctx, "POST", s.c.base+"/hub/login", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.c.http.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		// A wrong password answers 200 with the login form again.
		return &hubError{method: "POST", path: "/hub/login", status: resp.StatusCode, body: string(body)}
	}
	var tok struct {
		Token string `json:"token"`
	}
	_, err = s.c.call(ctx, "POST", "/hub/api/users/"+s.name+"/tokens",
		map[string]any{"note": "gokernel hub test", "expires_in": 3600}, &tok, http.StatusCreated, http.StatusOK)
	if err != nil {
		return fmt.Errorf("asking for a token after login: %w", err)
	}
	if tok.Token == "" {
		return errors.New("the hub answered the token request without a token")
	}
	// The login cookies stay in the jar for logging out; API calls use the token.
	s.c.token = tok.Token
	return nil
}

// startServer asks the hub for the student's server and waits until the hub says it is ready.
func (s *hubStudent) startServer(ctx context.Context) error {
	status, err := s.c.call(ctx, "POST", "/hub/api/users/"+s.name+"/server", nil, nil, http.StatusCreated, http.StatusAccepted)
	if err != nil || status == http.StatusCreated {
		return err
	}
	for {
		var u hubUser
		if _, err := s.c.call(ctx, "GET", "/hub/api/users/"+s.name, nil, &u, http.StatusOK); err != nil {
			return err
		}
		srv, ok := u.Servers[""]
		if ok && srv.Ready {
			return nil
		}
		if !ok {
			return errors.New("the hub dropped the server while it was starting (see the hub log)")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server not ready: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// lessonCell is one code cell of a lesson and what the lesson says it ends with.
type lessonCell struct {
	source string
	// wantError is "" for a cell that must succeed, else the ename the lesson expects
	// ("*" when the lesson tags the cell raises-exception without naming the error).
	wantError string
}

// openLesson reads a notebook from the student's home through the contents API, as
// opening it in the browser does, and returns its code cells.
func (s *hubStudent) openLesson(ctx context.Context, path string) ([]lessonCell, error) {
	var model struct {
		Content struct {
			Cells []struct {
				CellType string `json:"cell_type"`
				Source   string `json:"source"`
				Metadata struct {
					Tags     []string `json:"tags"`
					Gokernel struct {
						ExpectedError string `json:"expected_error"`
					} `json:"gokernel"`
				} `json:"metadata"`
			} `json:"cells"`
		} `json:"content"`
	}
	if _, err := s.c.call(ctx, "GET", "/user/"+s.name+"/api/contents/"+path+"?content=1", nil, &model, http.StatusOK); err != nil {
		return nil, err
	}
	var cells []lessonCell
	for _, c := range model.Content.Cells {
		if c.CellType != "code" {
			continue
		}
		lc := lessonCell{source: c.Source}
		for _, tag := range c.Metadata.Tags {
			if tag == "raises-exception" {
				lc.wantError = "*"
				if e := c.Metadata.Gokernel.ExpectedError; e != "" {
					lc.wantError = e
				}
			}
		}
		cells = append(cells, lc)
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("lesson %s has no code cells", path)
	}
	return cells, nil
}

// startKernel opens a notebook session with a gokernel kernel, as the notebook page does.
func (s *hubStudent) startKernel(ctx context.Context, path, kernelName string) (kernelID, sessionID string, err error) {
	var sess struct {
		ID     string `json:"id"`
		Kernel struct {
			ID string `json:"id"`
		} `json:"kernel"`
	}
	_, err = s.c.call(ctx, "POST", "/user/"+s.name+"/api/sessions",
		map[string]any{"path": path, "name": path, "type": "notebook", "kernel": map[string]string{"name": kernelName}},
		&sess, http.StatusCreated)
	return sess.Kernel.ID, sess.ID, err
}

// logOut visits /hub/logout with the login cookie; the hub (shutdown_on_logout) stops the
// student's server before it answers.
func (s *hubStudent) logOut(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", s.c.base+"/hub/logout", nil)
	if err != nil {
		return err
	}
	resp, err := s.c.http.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return &hubError{method: "GET", path: "/hub/logout", status: resp.StatusCode, body: string(body)}
	}
	return nil
}

// kernelChannels is a kernel's websocket through the hub's proxy, carrying Jupyter's JSON
// messages on all channels, with a reader goroutine that keeps answering the server's pings.
type kernelChannels struct {
	ws       *webSocket
	session  string
	username string
	msgs     chan wsMessage
	readErr  error // set before msgs is closed
}

// wsMessage is the part of a Jupyter message on the websocket the test reads.
type wsMessage struct {
	Channel string `json:"channel"`
	Header  struct {
		MsgType string `json:"msg_type"`
	} `json:"header"`
	ParentHeader struct {
		MsgID string `json:"msg_id"`
	} `json:"parent_header"`
	Content json.RawMessage `json:"content"`
}

// connect opens the kernel's channels websocket.
func (s *hubStudent) connect(kernelID, sessionID string) (*kernelChannels, error) {
	u := strings.Replace(s.c.base, "http://", "ws://", 1) + "/user/" + s.name + "/api/kernels/" + kernelID + "/channels?session_id=" + sessionID
	ws, err := dialWebSocket(u, http.Header{"Authorization": {"token " + s.c.token}}, time.Minute)
	if err != nil {
		return nil, err
	}
	k := &kernelChannels{ws: ws, session: sessionID, username: s.name, msgs: make(chan wsMessage, 4096)}
	go func() {
		defer close(k.msgs)
		for {
			op, data, err := ws.ReadMessage()
			if err != nil {
				k.readErr = err
				return
			}
			if op != opText {
				continue // binary messages carry buffers; no cell here sends any
			}
			var m wsMessage
			if err := json.Unmarshal(data, &m); err != nil {
				k.readErr = fmt.Errorf("a websocket message that is not JSON: %w", err)
				return
			}
			k.msgs <- m
		}
	}()
	return k, nil
}

func (k *kernelChannels) Close() { k.ws.Close() }

// send writes one request on a channel and returns its msg_id.
func (k *kernelChannels) send(channel, msgType string, content any) (string, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	msgID := hex.EncodeToString(id)
	data, err := json.Marshal(map[string]any{
		"header": map[string]any{"msg_id": msgID, "session": k.session, "username": k.username,
			"msg_type": msgType, "version": "5.3", "date": time.Now().UTC().Format(time.RFC3339Nano)},
		"parent_header": map[string]any{}, "metadata": map[string]any{}, "content": content,
		"buffers": []any{}, "channel": channel,
	})
	if err != nil {
		return "", err
	}
	return msgID, k.ws.SendText(data)
}

// next returns the next message, or an error when the socket ended or ctx is done.
func (k *kernelChannels) next(ctx context.Context) (wsMessage, error) {
	select {
	case m, ok := <-k.msgs:
		if !ok {
			return m, fmt.Errorf("the kernel's websocket ended: %v", k.readErr)
		}
		return m, nil
	case <-ctx.Done():
		return wsMessage{}, ctx.Err()
	}
}

// waitKernelInfo sends kernel_info_request until one is answered (a notebook page does the
// same to learn the kernel is up).
func (k *kernelChannels) waitKernelInfo(ctx context.Context) error {
	for {
		id, err := k.send("shell", "kernel_info_request", map[string]any{})
		if err != nil {
			return err
		}
		retry := time.After(5 * time.Second)
	wait:
		for {
			select {
			case <-retry:
				break wait
			default:
			}
			wctx, cancel := context.WithTimeout(ctx, time.Second)
			m, err := k.next(wctx)
			cancel()
			if ctx.Err() != nil {
				return fmt.Errorf("no kernel_info_reply: %w", ctx.Err())
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			if err == nil && m.Header.MsgType == "kernel_info_reply" && m.ParentHeader.MsgID == id {
				return nil
			}
		}
	}
}

// waitWatched waits until the single-user server's activity watcher has seen the kernel's
// status (the kernel model's execution_state leaves "starting"), asking for kernel_info to
// make the kernel publish one. jupyter_server subscribes to the kernel's IOPub on its own
// socket, asynchronously: on a loaded machine it can join after the busy status of the
// first cell, and a first cell that prints nothing for longer than cull_idle_timeout (it
// prepares the Go build cache) then looks idle and is culled. A browser tab usually gives
// the watcher that time; the test makes sure of it, so its short cull timeout culls only
// the idle student.
func (s *hubStudent) waitWatched(ctx context.Context, k *kernelChannels, kernelID string) error {
	for {
		var model struct {
			State string `json:"execution_state"`
		}
		if _, err := s.c.call(ctx, "GET", "/user/"+s.name+"/api/kernels/"+kernelID, nil, &model, http.StatusOK); err != nil {
			return err
		}
		if model.State != "starting" {
			return nil
		}
		if _, err := k.send("shell", "kernel_info_request", map[string]any{}); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server never saw the kernel's status: %w", ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// cellOutcome is how one execute_request ended, as the notebook page sees it.
type cellOutcome struct {
	status        string // execute_reply's status: ok, error, aborted
	ename, evalue string
	stdout        string // the first 64 KB of stdout
	outputBytes   int    // stdout+stderr bytes received
	latency       time.Duration
}

func (o cellOutcome) String() string {
	if o.status == "ok" {
		return "ok"
	}
	return fmt.Sprintf("%s %s: %s", o.status, o.ename, o.evalue)
}

// execute runs one cell and waits for both its execute_reply and its idle status; latency
// is from sending the request to the execute_reply.
func (k *kernelChannels) execute(ctx context.Context, code string) (cellOutcome, error) {
	var o cellOutcome
	start := time.Now()
	id, err := k.send("shell", "execute_request", map[string]any{"code": code, "silent": false,
		"store_history": true, "user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true})
	if err != nil {
		return o, err
	}
	replied, idle := false, false
	for !replied || !idle {
		m, err := k.next(ctx)
		if err != nil {
			return o, fmt.Errorf("waiting for the cell's reply (reply %v, idle %v): %w", replied, idle, err)
		}
		if m.ParentHeader.MsgID != id {
			continue
		}
		switch m.Header.MsgType {
		case "execute_reply":
			o.latency = time.Since(start)
			replied = true
			var c struct {
				Status string `json:"status"`
				Ename  string `json:"ename"`
				Evalue string `json:"evalue"`
			}
			if err := json.Unmarshal(m.Content, &c); err != nil {
				return o, err
			}
			o.status, o.ename, o.evalue = c.Status, c.Ename, c.Evalue
		case "status":
			var c struct {
				State string `json:"execution_state"`
			}
			_ = json.Unmarshal(m.Content, &c)
			idle = idle || c.State == "idle"
		case "stream":
			var c struct {
				Name string `json:"name"`
				Text string `json:"text"`
			}
			_ = json.Unmarshal(m.Content, &c)
			o.outputBytes += len(c.Text)
			if c.Name == "stdout" && len(o.stdout) < 64<<10 {
				o.stdout += c.Text
			}
		}
	}
	return o, nil
}
