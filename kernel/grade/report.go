package grade

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Status of a graded cell.
const (
	Passed = "passed"  // ran to its last line without error: full points
	Failed = "failed"  // failed, timed out, hit a limit or stopped early: no points
	NotRun = "not run" // the run stopped before it (the grader's fault, or the whole submission failed)
	Manual = "manual"  // a written answer: needs a human grader
)

// Report is the grade of one submission.
type Report struct {
	Student    string       `json:"student"`    // name of the submission (its file or folder)
	Submission string       `json:"submission"` // path of the submitted notebook
	Score      float64      `json:"score"`
	MaxScore   float64      `json:"max_score"`
	Cells      []CellReport `json:"cells"` // every graded cell of the assignment, in order
	// Error says why the submission could not be graded at all (unreadable
	// notebook, grader fault); its cells then score zero.
	Error string `json:"error,omitempty"`
	// Notes say what grading restored or ignored (an edited test cell, a
	// missing one, a failing ungraded cell).
	Notes   []string `json:"notes,omitempty"`
	Seconds float64  `json:"seconds"` // wall-clock time of grading
}

// CellReport is the grade of one graded cell.
type CellReport struct {
	GradeID   string  `json:"grade_id"`
	Points    float64 `json:"points"`
	MaxPoints float64 `json:"max_points"`
	Status    string  `json:"status"` // Passed, Failed, NotRun or Manual
	// Reason is why points were lost, in one readable line
	// (e.g. "Deadlock: all goroutines are asleep"); empty when passed.
	Reason string `json:"reason,omitempty"`
}

// WriteJSON writes reports as indented JSON: one object for one report,
// an array otherwise.
func WriteJSON(w io.Writer, reports ...*Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if len(reports) == 1 {
		return enc.Encode(reports[0])
	}
	return enc.Encode(reports)
}

// csvFixed are the columns before the per-cell ones.
var csvFixed = []string{"student", "submission", "score", "max_score"}

// WriteCSV writes one row per report: student, submission, score,
// max_score, the points of each graded cell (a column per grade_id, in the
// assignment's order) and the error, if any.
func WriteCSV(w io.Writer, reports []*Report) error {
	var ids []string
	seen := map[string]bool{}
	for _, r := range reports {
		for _, c := range r.Cells {
			if !seen[c.GradeID] {
				seen[c.GradeID] = true
				ids = append(ids, c.GradeID)
			}
		}
	}
	cw := csv.NewWriter(w)
	header := append(append(append([]string{}, csvFixed...), ids...), "error")
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range reports {
		points := map[string]float64{}
		for _, c := range r.Cells {
			points[c.GradeID] = c.Points
		}
		row := []string{r.Student, r.Submission, formatPoints(r.Score), formatPoints(r.MaxScore)}
		for _, id := range ids {
			row = append(row, formatPoints(points[id]))
		}
		row = append(row, r.Error)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CSVRow is one row of a grades CSV read back by ReadCSV.
type CSVRow struct {
	Student, Submission string
	Score, MaxScore     float64
	Points              map[string]float64 // grade_id -> points
	Error               string
}

// ReadCSV parses a grades CSV written by WriteCSV.
func ReadCSV(r io.Reader) ([]CSVRow, error) {
	records, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(records) == 0 || len(records[0]) < len(csvFixed)+1 {
		return nil, fmt.Errorf("grades CSV: missing header")
	}
	header := records[0]
	var rows []CSVRow
	for n, rec := range records[1:] {
		row := CSVRow{Student: rec[0], Submission: rec[1], Points: map[string]float64{}, Error: rec[len(rec)-1]}
		nums := map[int]*float64{2: &row.Score, 3: &row.MaxScore}
		for i := 2; i < len(rec)-1; i++ {
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				return nil, fmt.Errorf("grades CSV row %d, column %s: %w", n+2, header[i], err)
			}
			if p, ok := nums[i]; ok {
				*p = v
			} else {
				row.Points[header[i]] = v
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func formatPoints(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }
