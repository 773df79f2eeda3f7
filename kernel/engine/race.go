package engine

import (
	"fmt"
	"regexp"
	"strings"
)

// This file reads the race detector's reports. A race-enabled program
// writes each report to stderr between two lines of "=" signs:
//
//	==================
//	WARNING: DATA RACE
//	Read at 0x00c000094028 by goroutine 8:
//	  main.main.func1()
//	      cell5.go:12 +0x7b
//
//	Previous write at 0x00c000094028 by goroutine 9:
//	  …
//	Goroutine 8 (running) created at:
//	  …
//	==================
//
// and exits with status 66 at the end. The run stage takes these blocks out
// of the streamed stderr and shows them mapped to cell lines instead.

// raceSeparator is the line that opens and closes a race report.
const raceSeparator = "=================="

// raceAccess is one section of a report: an access, or where a goroutine was created.
type raceAccess struct {
	What      string       // "read by goroutine 8", "previous write by main goroutine", "goroutine 8 (running) created"
	Goroutine string       // the goroutine accessing or created: "8", or "main"
	Created   bool         // the section says where Goroutine was created
	Frames    []stackFrame // innermost first
}

// raceReport is one "WARNING: DATA RACE" block.
type raceReport struct {
	Sections []raceAccess
}

var (
	raceAccessHeader  = regexp.MustCompile(`^(Previous )?(read|write|Read|Write)(?: of size \d+)? at 0x[0-9a-f]+ by (main goroutine|goroutine \d+):$`)
	raceCreatedHeader = regexp.MustCompile(`^Goroutine (\d+) \(([a-z]+)\) created at:$`)
	raceFrameFunc     = regexp.MustCompile(`^  (\S.*?)\(\)$`)
	raceFrameFile     = regexp.MustCompile(`^      (.*?):(\d+)(?: \+0x[0-9a-f]+)?$`)
)

// parseRaceReport parses the lines of one report (separators included or not).
func parseRaceReport(text string) raceReport {
	var r raceReport
	var cur *raceAccess
	var fn string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case raceAccessHeader.MatchString(line):
			m := raceAccessHeader.FindStringSubmatch(line)
			what := strings.ToLower(m[2]) + " by " + m[3]
			if m[1] != "" {
				what = "previous " + what
			}
			id := strings.TrimPrefix(m[3], "goroutine ")
			if m[3] == "main goroutine" {
				id = "main"
			}
			r.Sections = append(r.Sections, raceAccess{What: what, Goroutine: id})
			cur = &r.Sections[len(r.Sections)-1]
		case raceCreatedHeader.MatchString(line):
			m := raceCreatedHeader.FindStringSubmatch(line)
			r.Sections = append(r.Sections, raceAccess{What: fmt.Sprintf("goroutine %s (%s) was started", m[1], m[2]), Goroutine: m[1], Created: true})
			cur = &r.Sections[len(r.Sections)-1]
		case line == "":
			cur = nil
		case cur != nil && raceFrameFunc.MatchString(line):
			fn = raceFrameFunc.FindStringSubmatch(line)[1]
		case cur != nil && raceFrameFile.MatchString(line):
			m := raceFrameFile.FindStringSubmatch(line)
			var n int
			fmt.Sscanf(m[2], "%d", &n)
			cur.Frames = append(cur.Frames, stackFrame{Func: fn, File: m[1], Line: n})
		}
	}
	return r
}

// lines renders a report mapped to the user's cells:
//
//	DATA RACE
//	    read by goroutine 8 at cell [5] line 12  in func literal in main
//	    previous write by goroutine 9 at cell [5] line 12  in func literal in main
//	    goroutine 8 (running) was started at cell [5] line 10  in main
//
// A goroutine started by a library function (sync.WaitGroup.Go) is said to
// be started by it in the cell function that called it:
//
//	goroutine 8 (running) was started by sync.WaitGroup.Go in racyCount (from cell [2] line 2  in main)
func (r raceReport) lines() []string {
	out := []string{"DATA RACE"}
	for _, s := range r.Sections {
		at := "outside the cells"
		for _, f := range s.Frames {
			if pos, ok := formatCellLine(f.File, f.Line); ok {
				at = fmt.Sprintf("at %s  in %s", pos, userFunc(f.Func))
				break
			}
		}
		if s.Created {
			if by, ok := r.startedBy(s); ok {
				at = strings.Replace(at, "at ", "(from ", 1)
				if at != "outside the cells" {
					at += ")"
				}
				out = append(out, "    "+s.What+" "+by+trimOutside(" "+at))
				continue
			}
		}
		out = append(out, "    "+s.What+" "+at)
	}
	return out
}

// trimOutside drops a creation's " outside the cells": the library
// function and the cell function already say where it was started.
func trimOutside(at string) string {
	if at == " outside the cells" {
		return ""
	}
	return at
}

// startedBy says who started the goroutine of a "created at" section when
// the innermost frame is a library function (sync.WaitGroup.Go runs the go
// statement for its caller), e.g. "by sync.WaitGroup.Go in racyCount". The
// race detector does not record the cell function that called the library
// function, so it is found from the goroutine's own stack in the report:
// a func literal of racyCount ("main.racyCount.func1") was started in
// racyCount; a named function, "to run worker".
func (r raceReport) startedBy(created raceAccess) (string, bool) {
	if len(created.Frames) == 0 {
		return "", false
	}
	if _, ok := cellPosition(created.Frames[0].File, created.Frames[0].Line); ok {
		return "", false // a go statement in a cell: its line says it all
	}
	starter := "by " + strings.NewReplacer("(*", "", ")", "").Replace(created.Frames[0].Func)
	for _, s := range r.Sections {
		if s.Created || s.Goroutine != created.Goroutine || len(s.Frames) == 0 {
			continue
		}
		entry := userFunc(s.Frames[len(s.Frames)-1].Func)
		if outer, ok := strings.CutPrefix(entry, "func literal in "); ok {
			return starter + " in " + outer, true
		}
		if i := strings.Index(entry, ".func"); i > 0 {
			return starter + " in " + entry[:i], true // a method's func literal: (*T).run.func1
		}
		return starter + " to run " + entry, true
	}
	return starter, true
}

// cellLines lists the distinct cell positions of the report's accesses
// (not of the goroutine creations): the lines a student must fix.
func (r raceReport) cellLines() []string {
	seen := map[string]bool{}
	var lines []string
	for _, s := range r.Sections {
		if strings.Contains(s.What, "was started") {
			continue
		}
		for _, f := range s.Frames {
			if pos, ok := formatCellLine(f.File, f.Line); ok {
				if !seen[pos] {
					seen[pos] = true
					lines = append(lines, pos)
				}
				break
			}
		}
	}
	return lines
}
