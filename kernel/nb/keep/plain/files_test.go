package plain

import (
	"reflect"
	"testing"
)

func TestPlanAndReportFiles(t *testing.T) {
	dir := t.TempDir()
	p := &Plan{Dir: dir, Budget: 99, Groups: []Group{{File: "c1-0", Size: 10, Names: []string{"a", "b"}}}}
	if err := WritePlan(dir+"/plan", p); err != nil {
		t.Fatal(err)
	}
	q, err := ReadPlan(dir + "/plan")
	if err != nil || !reflect.DeepEqual(p, q) {
		t.Errorf("have %+v %v, want %+v", q, err, p)
	}
	r := &Report{Groups: p.Groups, Failed: map[string]string{"c": "why\nnot", "d": "too big"}, Limited: []string{"d"}}
	if err := WriteReport(dir+"/report", r); err != nil {
		t.Fatal(err)
	}
	r2, err := ReadReport(dir + "/report")
	if err != nil || r2.Failed["c"] != "why not" || !reflect.DeepEqual(r2.Groups, r.Groups) || !reflect.DeepEqual(r2.Limited, r.Limited) {
		t.Errorf("have %+v %v", r2, err)
	}
}
