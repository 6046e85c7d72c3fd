package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/load/floor"
	"github.com/partner-onboarding/onboarding/workflows"
)

// fakePhase is a phase of n requests at c in flight, the product's ending
// one every 100 ms after 1 s, the floor's ten times as fast.
func fakePhase(c, n int, withFloor bool) *phaseResult {
	began := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	p := &phaseResult{c: c}
	r := result{c: c, began: began, wall: time.Second + time.Duration(n)*100*time.Millisecond}
	for i := range n {
		whole := time.Second + time.Duration(i%7)*100*time.Millisecond
		s := &sample{
			i: i, outcome: won, completed: true, emailsOK: true, id: "id",
			began:      began.Add(time.Duration(i)*100*time.Millisecond + time.Second - whole),
			intakePOST: 20 * time.Millisecond, toLead: 400 * time.Millisecond, toAwaiting: 450 * time.Millisecond,
			sellerCalls: 30 * time.Millisecond, decisionDone: 300 * time.Millisecond, whole: whole,
			toEmail: 250 * time.Millisecond,
		}
		r.samples = append(r.samples, s)
	}
	r.samples[0].completed = false // one that never ended: left out of the charts
	r.samples[0].err = errors.New("await final status: deadline exceeded")
	p.product = r
	p.emails = summariseEmails(r.samples, "test", 0)
	if withFloor {
		for range 2 {
			f := floor.Result{Began: began, Wall: time.Duration(n) * 10 * time.Millisecond}
			for i := range n {
				f.Samples = append(f.Samples, floor.Sample{
					WorkflowID: "load-floor-x", Began: began.Add(time.Duration(i) * 10 * time.Millisecond),
					Took: 100*time.Millisecond + time.Duration(i%5)*10*time.Millisecond,
				})
			}
			p.floors = append(p.floors, f)
		}
	}
	return p
}

func TestReportWritesChartsAndFigures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "perf")
	rr := &runReport{
		runID: "abcd1234", began: time.Now(), cfg: config{n: 60, levels: []int{16, 48}, mix: mix{won: 1}, floor: true},
		shape: workflows.ApprovedShape, target: "its own stack (-start)",
		phases:    []*phaseResult{fakePhase(16, 60, true), fakePhase(48, 60, true)},
		histories: []history{{what: "one approved workflow", workflowID: "onboarding-x", events: 69}},
		procs:     []procStat{{name: "worker", peakMiB: 44.5, cpu: 3 * time.Second}},
	}
	path, err := rr.write(dir)
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Load run abcd1234",
		"| figure | 16 in flight | 48 in flight |",
		"| product: onboardings/s |",
		"| product / floor: throughput |",
		"](throughput-c16.png)", "](latency-c16.png)", "](throughput-c48.png)", "](latency-c48.png)",
		"**69 events**",
		"| worker | 44.5 | 3.0 |",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	for _, name := range []string{"throughput-c16.png", "latency-c16.png", "throughput-c48.png", "latency-c48.png"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s is not a PNG", name)
		}
	}
}

func TestReportWithoutFloorOrCompletions(t *testing.T) {
	p := fakePhase(4, 3, false)
	for _, s := range p.product.samples {
		s.completed = false
	}
	rr := &runReport{runID: "x", cfg: config{n: 3, levels: []int{4}, mix: mix{won: 1}}, phases: []*phaseResult{p}}
	path, err := rr.write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(path)
	if strings.Contains(string(md), "product / floor") {
		t.Errorf("report.md without a floor shows ratios:\n%s", md)
	}
}

func TestSummaryAndPhasePrint(t *testing.T) {
	p := fakePhase(16, 60, true)
	var out bytes.Buffer
	p.print(&out)
	for _, want := range []string{
		"product: wall time 7s, 59 of 60 completed",
		"submit -> lead in Sales",
		"decision webhook -> email",
		"leads created in Sales: 60",
		"error x1: await final status",
		"floor after: 60 of 60",
		"product / floor (floor: both runs)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("phase output lacks %q:\n%s", want, out.String())
		}
	}
	tput, d, ok := p.floorFigures()
	if !ok || tput != 100 || d.n != 120 {
		t.Errorf("floor figures = %v/s, n %d, want 100/s over both runs, 120 workflows", tput, d.n)
	}
}

func TestJudgeEmails(t *testing.T) {
	s := &sample{email: "a@load.example", id: "r1", outcome: won, sellerDone: time.Unix(100, 0)}
	receipt := mailSummary{ID: "1", MessageID: "onboarding-r1-receipt@shop.example", Created: time.Unix(90, 0)}
	welcome := mailSummary{ID: "2", MessageID: "onboarding-r1-welcome@shop.example", Created: time.Unix(101, 0)}
	decline := mailSummary{ID: "3", MessageID: "onboarding-r1-decline@shop.example", Created: time.Unix(101, 0)}

	if v, _, _ := judge(s, []mailSummary{receipt}); v != emailsPending {
		t.Errorf("one of two emails: verdict %v, want pending", v)
	}
	if v, _, p := judge(s, []mailSummary{receipt, decline}); v != emailsNotRight || p == "" {
		t.Errorf("a decline for a won request: verdict %v (%q), want not right", v, p)
	}
	if v, _, _ := judge(s, []mailSummary{receipt, welcome, welcome}); v != emailsNotRight {
		t.Errorf("three emails: verdict %v, want not right", v)
	}
	v, dec, p := judge(s, []mailSummary{welcome, receipt})
	if v != emailsOK || dec.ID != "2" {
		t.Fatalf("receipt and welcome: verdict %v, decision %v (%q), want ok with the welcome", v, dec, p)
	}
	record(s, v, dec, p)
	if !s.emailsOK || s.toEmail != time.Second {
		t.Errorf("recorded ok %v, webhook -> email %v, want ok and 1s", s.emailsOK, s.toEmail)
	}

	msgs := []mailSummary{receipt, {ID: "9", To: []struct{ Address string }{{"a@load.example.other"}}}}
	msgs[0].To = []struct{ Address string }{{"A@load.example"}}
	if got := addressedTo(msgs, "a@load.example"); len(got) != 1 || got[0].ID != "1" {
		t.Errorf("addressedTo = %v, want only the message to the address itself", got)
	}
}
