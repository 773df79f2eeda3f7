package server

import (
	"context"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/jupyter"
)

// Help links every kernel_info_reply carries, after the interpreter's own.
var defaultHelpLinks = []jupyter.HelpLink{
	{Text: "Go documentation", URL: "https://go.dev/doc/"},
	{Text: "Go standard library", URL: "https://pkg.go.dev/std"},
	{Text: "gokernel README", URL: "https://github.com/gokernel/gokernel#readme"},
}

// kernelInfo answers kernel_info_request (shell and control). It must stay
// fast: clients time kernel start by it, so Interpreter.Info must not block.
func (s *Server) kernelInfo(_ context.Context, r *request) error {
	info := s.interp.Info()
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	lang := jupyter.LanguageInfo{
		Name:           orDefault(info.LanguageName, "go"),
		Version:        orDefault(info.LanguageVersion, goVersion),
		MIMEType:       orDefault(info.MIMEType, "text/x-go"),
		FileExtension:  orDefault(info.FileExtension, ".go"),
		PygmentsLexer:  orDefault(info.PygmentsLexer, "go"),
		CodeMirrorMode: orDefault(info.CodeMirrorMode, "go"),
	}
	links := make([]jupyter.HelpLink, 0, len(info.HelpLinks)+len(defaultHelpLinks))
	seen := map[string]bool{}
	for _, l := range info.HelpLinks {
		links = append(links, jupyter.HelpLink{Text: l.Text, URL: l.URL})
		seen[l.URL] = true
	}
	for _, l := range defaultHelpLinks {
		if !seen[l.URL] {
			links = append(links, l)
		}
	}
	s.reply(r, "kernel_info_reply", jupyter.KernelInfoReply{
		Status:                jupyter.StatusOK,
		ProtocolVersion:       jupyter.ProtocolVersion,
		Implementation:        orDefault(info.Implementation, "gokernel"),
		ImplementationVersion: orDefault(info.ImplementationVersion, "0"),
		LanguageInfo:          lang,
		Banner:                orDefault(info.Banner, "Go "+lang.Version+" (gokernel)"),
		HelpLinks:             links,
	})
	return nil
}

func (s *Server) isComplete(_ context.Context, r *request) error {
	var req jupyter.IsCompleteRequest
	if err := r.msg.DecodeContent(&req); err != nil {
		s.replyError(r, "is_complete_reply", err)
		return err
	}
	res := s.interp.IsComplete(req.Code)
	reply := jupyter.IsCompleteReply{Status: orDefault(res.Status, "unknown")}
	if reply.Status == "incomplete" {
		reply.Indent = res.Indent
	}
	s.reply(r, "is_complete_reply", reply)
	return nil
}

// cursorRequest is the shared part of complete and inspect requests: a
// missing cursor_pos means the end of the code, as in ipykernel.
type cursorRequest struct {
	Code        string `json:"code"`
	CursorPos   *int   `json:"cursor_pos"`
	DetailLevel int    `json:"detail_level"`
}

func (c cursorRequest) cursor() int {
	n := utf8.RuneCountInString(c.Code)
	if c.CursorPos == nil || *c.CursorPos > n {
		return n
	}
	return max(*c.CursorPos, 0)
}

func (s *Server) complete(ctx context.Context, r *request) error {
	var req cursorRequest
	if err := r.msg.DecodeContent(&req); err != nil {
		s.replyError(r, "complete_reply", err)
		return err
	}
	c := s.interp.Complete(ctx, req.Code, req.cursor())
	matches := c.Matches
	if matches == nil {
		matches = []string{}
	}
	s.reply(r, "complete_reply", jupyter.CompleteReply{
		Status:      jupyter.StatusOK,
		Matches:     matches,
		CursorStart: c.CursorStart,
		CursorEnd:   c.CursorEnd,
		Metadata:    orEmpty(c.Metadata),
	})
	return nil
}

func (s *Server) inspect(ctx context.Context, r *request) error {
	var req cursorRequest
	if err := r.msg.DecodeContent(&req); err != nil {
		s.replyError(r, "inspect_reply", err)
		return err
	}
	in := s.interp.Inspect(ctx, req.Code, req.cursor(), req.DetailLevel)
	s.reply(r, "inspect_reply", jupyter.InspectReply{
		Status:   jupyter.StatusOK,
		Found:    in.Found,
		Data:     orEmpty(in.Data),
		Metadata: map[string]any{},
	})
	return nil
}

func (s *Server) historyRequest(_ context.Context, r *request) error {
	var req jupyter.HistoryRequest
	if err := r.msg.DecodeContent(&req); err != nil {
		s.replyError(r, "history_reply", err)
		return err
	}
	entries, err := s.history.query(req)
	if err != nil {
		s.replyError(r, "history_reply", err)
		return err
	}
	s.reply(r, "history_reply", jupyter.HistoryReply{Status: jupyter.StatusOK, History: entries})
	return nil
}

// commInfo answers comm_info_request: gokernel has no comms yet.
func (s *Server) commInfo(_ context.Context, r *request) error {
	s.reply(r, "comm_info_reply", jupyter.CommInfoReply{Status: jupyter.StatusOK, Comms: map[string]map[string]any{}})
	return nil
}

// commOpen closes every comm a frontend opens: no comm target is registered,
// and the spec says an unknown target is answered with comm_close.
func (s *Server) commOpen(_ context.Context, r *request) error {
	var req jupyter.CommOpen
	if err := r.msg.DecodeContent(&req); err != nil {
		return err
	}
	s.log.Debug("comm_open for unknown target; closing", "target", req.TargetName)
	s.publish(r.msg, "comm_close", jupyter.CommClose{CommID: req.CommID, Data: map[string]any{}})
	return nil
}

func (s *Server) interruptRequest(_ context.Context, r *request) error {
	s.Interrupt()
	s.reply(r, "interrupt_reply", jupyter.InterruptReply{Status: jupyter.StatusOK})
	return nil
}

// shutdownRequest replies (on control and, as ipykernel does, on iopub) and
// then lets Serve stop the cell, close the interpreter and return.
func (s *Server) shutdownRequest(_ context.Context, r *request) error {
	var req jupyter.ShutdownRequest
	if err := r.msg.DecodeContent(&req); err != nil {
		s.log.Warn("shutdown_request content unreadable; shutting down anyway", "err", err)
	}
	reply := jupyter.ShutdownReply{Status: jupyter.StatusOK, Restart: req.Restart}
	s.reply(r, "shutdown_reply", reply)
	s.publish(r.msg, "shutdown_reply", reply)
	s.Interrupt()
	s.shutdownOnce.Do(func() { close(s.shutdown) })
	return nil
}

// replyError answers a request whose content could not be read.
func (s *Server) replyError(r *request, msgType string, err error) {
	s.reply(r, msgType, jupyter.ErrorReply{
		Status: jupyter.StatusError, Ename: "BadRequest", Evalue: err.Error(), Traceback: []string{err.Error()},
	})
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
