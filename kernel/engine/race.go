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
	What   string       // "read by goroutine 8", "previous write by main goroutine", "goroutine 8 (running) created"
	Frames []stackFrame // innermost first
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
			r.Sections = append(r.Sections, raceAccess{What: what})
			cur = &r.Sections[len(r.Sections)-1]
		case raceCreatedHeader.MatchString(line):
			m := raceCreatedHeader.FindStringSubmatch(line)
			r.Sections = append(r.Sections, raceAccess{What: fmt.Sprintf("goroutine %s (%s) was started", m[1], m[2])})
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
		out = append(out, "    "+s.What+" "+at)
	}
	return out
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
