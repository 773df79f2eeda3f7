package engine

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/interp"
	"github.com/gokernel/gokernel/kernel/nb/wire"
)

// This file turns what a cell prints into Output calls.
//
// Text is coalesced: a stream is flushed at most once per streamFlushInterval
// (a goroutine printing every 100 ms still shows up every 100 ms, since a
// flush happens at once when the last one is older than the interval), and a
// stream whose buffer reaches streamMaxMessage makes the reader wait for the
// next flush slot, which pushes back on the pipe and so on the program. A
// flood therefore becomes at most 2/streamFlushInterval messages a second
// (40/s) of at most streamMaxMessage each, and the kernel holds at most
// about 2×streamMaxMessage of text, never the whole output.

const (
	streamFlushInterval = 50 * time.Millisecond
	streamMaxMessage    = 4 << 20
	// promptHold is how long a partial last line of stdout ("Name: ") is kept
	// back so that, if the program then reads stdin, it becomes the prompt of
	// the input box (as Python's input() does) instead of being shown twice.
	promptHold = 250 * time.Millisecond
	// maxPromptLen is the longest partial line taken as a prompt; longer ones
	// are never held back (a flood without newlines must not pile up).
	maxPromptLen = 4 << 10
	// maxFrameSize bounds one wire frame (a display with a large image).
	maxFrameSize = 64 << 20
	// maxCrashText bounds the runtime's dump kept for the error view.
	maxCrashText = 8 << 20
	// crashCaptureWindow: a "panic: " line not followed by the program's
	// death within this time was ordinary output and is released. Generous:
	// dumping 100k goroutines takes a while.
	crashCaptureWindow = 5 * time.Second
)

const (
	stdoutStream = 0
	stderrStream = 1
)

var streamNames = [2]string{"stdout", "stderr"}

// streamSink coalesces stdout and stderr text into Output.Stream calls and
// serialises every Output call except Input.
type streamSink struct {
	out interp.Output

	mu      sync.Mutex
	pending [2][]byte
	// firstPending is the stream whose pending text came first: it is sent
	// first, so that a child's stderr (its panic) that came before the
	// parent's next print stays before it.
	firstPending int
	carry        [2][]byte // an incomplete UTF-8 sequence at the end of the last write
	lastFlush    time.Time
	timer        *time.Timer
	timerArmed   bool
	closed       bool

	limit    int64 // <0: unlimited
	accepted int64
	dropped  int64

	holdPrompt   bool      // stdin may be read: hold a partial last stdout line briefly
	partialSince time.Time // when stdout's pending partial last line began; zero if none
}

func newStreamSink(out interp.Output, limit int64) *streamSink {
	if limit == 0 {
		limit = DefaultOutputLimit
	}
	s := &streamSink{out: out, limit: limit}
	s.timer = time.AfterFunc(time.Hour, s.onTimer)
	s.timer.Stop()
	return s
}

// write adds text of one stream. It may block to push back on a flood.
func (s *streamSink) write(stream int, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	data := b
	if len(s.carry[stream]) > 0 {
		data = append(s.carry[stream], b...)
		s.carry[stream] = nil
	}
	if cut := incompleteUTF8Tail(data); cut < len(data) {
		s.carry[stream] = append([]byte(nil), data[cut:]...)
		data = data[:cut]
	}
	data = s.applyLimit(data)
	if len(data) == 0 {
		if len(s.pending[stderrStream]) > 0 {
			s.armLocked(time.Until(s.lastFlush.Add(streamFlushInterval))) // the limit note
		}
		return
	}
	if len(s.pending[stdoutStream])+len(s.pending[stderrStream]) == 0 {
		s.firstPending = stream
	}
	s.pending[stream] = append(s.pending[stream], data...)
	if stream == stdoutStream {
		if last := data[len(data)-1]; last == '\n' || last == '\r' {
			s.partialSince = time.Time{}
		} else if s.partialSince.IsZero() {
			s.partialSince = time.Now()
		}
	}
	if len(s.pending[stdoutStream])+len(s.pending[stderrStream]) >= streamMaxMessage {
		// Push back: wait for the next flush slot, then flush everything.
		if wait := time.Until(s.lastFlush.Add(streamFlushInterval)); wait > 0 {
			s.mu.Unlock()
			time.Sleep(wait)
			s.mu.Lock()
			if s.closed {
				return
			}
		}
		s.flushLocked(false)
		return
	}
	s.armLocked(time.Until(s.lastFlush.Add(streamFlushInterval)))
}

// applyLimit cuts data at the output limit and counts what it drops.
func (s *streamSink) applyLimit(data []byte) []byte {
	if s.limit < 0 {
		return data
	}
	room := s.limit - s.accepted
	if int64(len(data)) <= room {
		s.accepted += int64(len(data))
		return data
	}
	keep := int(max(room, 0))
	for keep > 0 && keep < len(data) && !utf8.RuneStart(data[keep]) {
		keep--
	}
	if s.dropped == 0 {
		note := fmt.Sprintf("\n[output limit of %s reached: the rest of this cell's output is dropped]\n", formatBytes(s.limit))
		s.pending[stderrStream] = append(s.pending[stderrStream], note...)
	}
	s.dropped += int64(len(data) - keep)
	s.accepted = s.limit
	return data[:keep]
}

// limitValueText cuts the plain text of a value the cell shows (its Out[n]
// or a display) at the output limit left, counting it against the limit:
// a trailing make([]int, 6e6) is a 12 MB execute_result otherwise, whatever
// %limit output says. The cut text ends with a note of what was left out.
func (s *streamSink) limitValueText(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit < 0 {
		return text
	}
	room := s.limit - s.accepted
	if int64(len(text)) <= room {
		s.accepted += int64(len(text))
		return text
	}
	keep := int(max(room, 0))
	for keep > 0 && !utf8.RuneStart(text[keep]) {
		keep--
	}
	s.accepted = s.limit
	return text[:keep] + fmt.Sprintf("\n[%s more of this value not shown: past the %s output limit; raise it with %%limit output=SIZE]",
		formatBytes(int64(len(text)-keep)), formatBytes(s.limit))
}

// limitBundle applies limitValueText to the text/plain form of a bundle
// (rich forms, such as images, are left whole).
func (s *streamSink) limitBundle(data map[string]any) map[string]any {
	text, ok := data["text/plain"].(string)
	if !ok {
		return data
	}
	if cut := s.limitValueText(text); len(cut) != len(text) {
		data["text/plain"] = cut
	}
	return data
}

func (s *streamSink) armLocked(delay time.Duration) {
	if s.timerArmed || s.closed {
		return
	}
	s.timerArmed = true
	s.timer.Reset(max(delay, 0))
}

func (s *streamSink) onTimer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timerArmed = false
	if !s.closed {
		s.flushLocked(false)
	}
}

// flushLocked sends the pending text. Unless final, a short partial last
// line of stdout younger than promptHold stays pending (a possible prompt).
func (s *streamSink) flushLocked(final bool) {
	for _, stream := range [2]int{s.firstPending, 1 - s.firstPending} {
		text := s.pending[stream]
		var held []byte
		if stream == stdoutStream && !final && s.holdPrompt && !s.partialSince.IsZero() {
			if age := time.Since(s.partialSince); age < promptHold {
				start := lastLineStart(text)
				if len(text)-start <= maxPromptLen {
					held = text[start:]
					text = text[:start]
					s.armLocked(promptHold - age)
				}
			}
		}
		if len(text) > 0 {
			s.out.Stream(streamNames[stream], strings.ToValidUTF8(string(text), "\uFFFD"))
		}
		s.pending[stream] = append(s.pending[stream][:0], held...)
		if len(s.pending[stream]) == 0 && cap(s.pending[stream]) > streamMaxMessage {
			s.pending[stream] = nil // give a flood's buffer back
		}
	}
	if len(s.pending[stdoutStream]) == 0 {
		s.partialSince = time.Time{}
	} else {
		s.firstPending = stdoutStream // a held prompt
	}
	s.lastFlush = time.Now()
}

// flush sends all pending text now (before a display, so order is kept).
func (s *streamSink) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked(true)
}

// note writes a message of the kernel on stderr, outside the output limit.
func (s *streamSink) note(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	s.pending[stderrStream] = append(s.pending[stderrStream], text...)
	s.flushLocked(true)
}

// call runs f (an Output call other than Stream) after flushing pending
// text, serialised with the stream messages.
func (s *streamSink) call(f func(out interp.Output)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked(true)
	f(s.out)
}

// setHoldPrompt turns holding back a possible prompt on or off.
func (s *streamSink) setHoldPrompt(on bool) {
	s.mu.Lock()
	s.holdPrompt = on
	s.mu.Unlock()
}

// takePrompt flushes stdout up to its partial last line and returns that
// line, removed from the output: the program printed it just before reading
// stdin, so it is shown as the input box's prompt instead.
func (s *streamSink) takePrompt() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := s.pending[stdoutStream]
	start := lastLineStart(text)
	if len(text)-start > maxPromptLen {
		start = len(text)
	}
	prompt := string(text[start:])
	s.pending[stdoutStream] = text[:start]
	s.flushLocked(true)
	return strings.ToValidUTF8(prompt, "\uFFFD")
}

// close flushes everything, including an incomplete UTF-8 tail (replaced),
// and says how much output the limit dropped. No Output call follows.
func (s *streamSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for stream := range s.carry {
		s.pending[stream] = append(s.pending[stream], s.applyLimit(s.carry[stream])...)
		s.carry[stream] = nil
	}
	if s.dropped > 0 {
		note := fmt.Sprintf("[%s of output dropped past the %s output limit; raise it with %%limit output=SIZE]\n",
			formatBytes(s.dropped), formatBytes(s.limit))
		s.pending[stderrStream] = append(s.pending[stderrStream], note...)
	}
	s.flushLocked(true)
	s.closed = true
	s.timer.Stop()
}

// incompleteUTF8Tail returns where an incomplete UTF-8 sequence at the end
// of b starts (len(b) when b ends on a character boundary).
func incompleteUTF8Tail(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			return len(b)
		}
	}
	return len(b)
}

// lastLineStart returns the index just after the last '\n' or '\r' of b.
func lastLineStart(b []byte) int {
	return bytes.LastIndexAny(b, "\n\r") + 1
}

// stdoutParser splits the cell's stdout into text and wire frames, keeping
// their order; a frame may arrive split across reads.
type stdoutParser struct {
	sink    *streamSink
	onFrame func(wire.Frame)

	held     []byte // the start of what may be a FrameStart at the end of the last read
	inFrame  bool
	frame    []byte
	tooBig   bool
	badFrame int
}

func (p *stdoutParser) feed(b []byte) {
	if len(p.held) > 0 {
		b = append(p.held, b...)
		p.held = nil
	}
	for len(b) > 0 {
		if p.inFrame {
			end := bytes.IndexByte(b, wire.FrameEnd[0])
			if end < 0 {
				p.appendFrame(b)
				return
			}
			p.appendFrame(b[:end])
			p.endFrame()
			b = b[end+1:]
			continue
		}
		start := bytes.Index(b, []byte(wire.FrameStart))
		if start < 0 {
			keep := partialPrefixSuffix(b, wire.FrameStart)
			if keep > 0 {
				p.held = append([]byte(nil), b[len(b)-keep:]...)
			}
			if len(b)-keep > 0 {
				p.sink.write(stdoutStream, b[:len(b)-keep])
			}
			return
		}
		if start > 0 {
			p.sink.write(stdoutStream, b[:start])
		}
		p.inFrame = true
		p.frame = p.frame[:0]
		p.tooBig = false
		b = b[start+len(wire.FrameStart):]
	}
}

func (p *stdoutParser) appendFrame(b []byte) {
	if p.tooBig || len(p.frame)+len(b) > maxFrameSize {
		p.tooBig = true
		p.frame = nil
		return
	}
	p.frame = append(p.frame, b...)
}

func (p *stdoutParser) endFrame() {
	p.inFrame = false
	if p.tooBig {
		p.sink.note(fmt.Sprintf("[a display larger than %s was dropped]", formatBytes(maxFrameSize)))
		return
	}
	f, err := wire.Decode(p.frame)
	if err != nil {
		p.badFrame++
		return
	}
	p.onFrame(f)
}

// close passes on text held back as a possible frame start.
func (p *stdoutParser) close() {
	if len(p.held) > 0 {
		p.sink.write(stdoutStream, p.held)
		p.held = nil
	}
}

// partialPrefixSuffix returns the length of the longest suffix of b that is
// a proper prefix of marker.
func partialPrefixSuffix(b []byte, marker string) int {
	for n := min(len(marker)-1, len(b)); n > 0; n-- {
		if bytes.HasPrefix([]byte(marker), b[len(b)-n:]) {
			return n
		}
	}
	return 0
}

// crashPrefixes start the text the Go runtime writes when a program dies:
// from such a line on, stderr is kept for the error view instead of being
// streamed raw.
var crashPrefixes = []string{"panic: ", "fatal error: ", "SIGQUIT: quit", "SIGABRT: abort", "runtime: ", "unexpected fault address", "SIGSEGV: ", "SIGBUS: ", "SIGILL: ", "SIGTRAP: "}

var raceFoundLine = regexp.MustCompile(`^Found \d+ data race\(s\)$`)

// childPanicHeader is the second line of the report a child process started
// with nb.Process writes when its function panics (nb's childPanicReport):
// its "panic: " line is not the cell program's crash, and the report is
// already mapped to cells, so it streams in its place among the output,
// before whatever the parent prints after joining the child.
var childPanicHeader = regexp.MustCompile(`^in child process .+ \(pid \d+\), which exits with status \d+:$`)

// stderrFilter streams stderr live except the runtime's crash dump and
// race reports, which it keeps to be shown mapped to the cells.
type stderrFilter struct {
	sink *streamSink
	// rename maps the program's file names in a whole line to cells' (see
	// runSpec.Positions); nil: none.
	rename func(string) string

	mu         sync.Mutex // feed and close run on the reader; the release timer on its own
	closed     bool
	crashTimer *time.Timer

	line    []byte // the start of a line held until it is known not to start a dump
	midLine bool   // the current line's beginning was already streamed

	crashing   bool
	crashStart time.Time
	crash      bytes.Buffer

	raceState int // 0: none; 1: saw a separator line; 2: inside a report
	race      bytes.Buffer
	races     []string
}

func (f *stderrFilter) feed(b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data := b
	if len(f.line) > 0 {
		data = append(f.line, b...)
		f.line = nil
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			f.partial(data)
			return
		}
		f.completeLine(data[:i+1])
		data = data[i+1:]
	}
}

func (f *stderrFilter) partial(data []byte) {
	switch {
	case f.midLine:
		f.sink.write(stderrStream, data)
	case f.crashing || f.raceState > 0 || (mayStartDump(data) && len(data) < 64<<10):
		f.line = append([]byte(nil), data...)
	default:
		f.sink.write(stderrStream, data)
		f.midLine = true
	}
}

func mayStartDump(b []byte) bool {
	s := string(b)
	for _, p := range append(crashPrefixes, raceSeparator) {
		if strings.HasPrefix(s, p) || strings.HasPrefix(p, s) {
			return true
		}
	}
	return false
}

func (f *stderrFilter) completeLine(line []byte) {
	if f.rename != nil && bytes.Contains(line, []byte(codeFilePrefix)) {
		line = []byte(f.rename(string(line)))
	}
	if f.midLine {
		f.midLine = false
		f.sink.write(stderrStream, line)
		return
	}
	text := strings.TrimRight(string(line), "\r\n")
	if f.crashing {
		if childPanicHeader.MatchString(text) && bytes.Count(f.crash.Bytes(), []byte("\n")) == 1 {
			f.releaseCrash()
			f.sink.write(stderrStream, line)
			return
		}
		if time.Since(f.crashStart) > crashCaptureWindow {
			// The program lived on: it was ordinary output after all.
			f.releaseCrash()
			f.sink.write(stderrStream, line)
			return
		}
		if f.crash.Len()+len(line) <= maxCrashText {
			f.crash.Write(line)
		}
		return
	}
	switch f.raceState {
	case 1:
		if text == "WARNING: DATA RACE" {
			f.raceState = 2
			f.race.WriteString(raceSeparator + "\n")
			f.race.Write(line)
			return
		}
		f.raceState = 0
		f.sink.write(stderrStream, []byte(raceSeparator+"\n"))
		// fall through to handle this line normally
	case 2:
		if f.race.Len()+len(line) <= maxCrashText {
			f.race.Write(line)
		}
		if text == raceSeparator {
			f.races = append(f.races, f.race.String())
			f.race.Reset()
			f.raceState = 0
		}
		return
	}
	switch {
	case text == raceSeparator:
		f.raceState = 1
	case len(f.races) > 0 && raceFoundLine.MatchString(text):
		// the race detector's summary at exit: the error says it
	case isCrashStart(text):
		f.crashing = true
		f.crashStart = time.Now()
		f.crash.Write(line)
		// A program that lives on after such a line was only printing it.
		f.crashTimer = time.AfterFunc(crashCaptureWindow, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.crashing && !f.closed && time.Since(f.crashStart) >= crashCaptureWindow {
				f.releaseCrash()
			}
		})
	default:
		f.sink.write(stderrStream, line)
	}
}

func isCrashStart(line string) bool {
	for _, p := range crashPrefixes {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// close ends the stream: a held line and an unfinished race report are kept.
func (f *stderrFilter) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if f.crashTimer != nil {
		f.crashTimer.Stop()
	}
	if len(f.line) > 0 {
		line := f.line
		f.line = nil
		switch {
		case f.crashing:
			f.crash.Write(line)
		case f.raceState == 2:
			f.race.Write(line)
		default:
			if f.raceState == 1 {
				f.sink.write(stderrStream, []byte(raceSeparator+"\n"))
				f.raceState = 0
			}
			f.sink.write(stderrStream, line)
		}
	}
	switch f.raceState {
	case 1:
		f.sink.write(stderrStream, []byte(raceSeparator+"\n"))
	case 2:
		f.races = append(f.races, f.race.String())
	}
	f.raceState = 0
}

// releaseCrash streams kept "crash" text that turned out not to be one.
func (f *stderrFilter) releaseCrash() {
	if f.crash.Len() > 0 {
		f.sink.write(stderrStream, f.crash.Bytes())
	}
	f.crash.Reset()
	f.crashing = false
}
