package main

import (
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%v of 1..100 ms = %v, want %v", p, got, want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v, want 0", got)
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one = %v, want it", got)
	}
}

func TestDistLeavesOutStepsNeverReached(t *testing.T) {
	d := distOf([]time.Duration{0, 3 * time.Second, time.Second, 0, 2 * time.Second})
	if d.n != 3 || d.p50 != 2*time.Second || d.max != 3*time.Second {
		t.Errorf("dist = %+v, want n 3, p50 2s, max 3s", d)
	}
}

func TestBucketize(t *testing.T) {
	s := time.Second
	cs := []completion{
		{at: 100 * time.Millisecond, took: 1 * s},
		{at: 900 * time.Millisecond, took: 3 * s},
		{at: 1500 * time.Millisecond, took: 2 * s},
		{at: 9 * s, took: 5 * s},
		{at: 12 * s, took: 4 * s}, // after the span: counts in the last bucket
	}
	buckets := bucketize(cs, 10300*time.Millisecond, s)
	if len(buckets) != 10 {
		t.Fatalf("%d buckets for 10.3 s of 1 s, want 10 (the last 0.3 s joins the one before)", len(buckets))
	}
	if last := buckets[9]; last.start != 9*s || last.width != 1300*time.Millisecond || last.n != 2 {
		t.Errorf("last bucket = %+v, want start 9s, width 1.3s, 2 completions", last)
	}
	first := buckets[0]
	if first.n != 2 || first.rate() != 2 || first.p50 != 1*s || first.p95 != 3*s || first.p99 != 3*s {
		t.Errorf("first bucket = %+v (rate %v), want 2 completions, 2/s, p50 1s, p95 and p99 3s", first, first.rate())
	}
	if b := buckets[1]; b.n != 1 || b.p50 != 2*s {
		t.Errorf("second bucket = %+v, want 1 completion of 2s", b)
	}
	if b := buckets[5]; b.n != 0 || b.rate() != 0 || b.p99 != 0 {
		t.Errorf("empty bucket = %+v, want nothing in it", b)
	}
	total := 0
	for _, b := range buckets {
		total += b.n
	}
	if total != len(cs) {
		t.Errorf("buckets hold %d completions, want %d", total, len(cs))
	}

	if got := len(bucketize(nil, 10600*time.Millisecond, s)); got != 11 {
		t.Errorf("%d buckets for 10.6 s of 1 s, want 11 (a last bucket of half a width or more stays)", got)
	}
	if got := bucketize(cs, 0, s); got != nil {
		t.Errorf("buckets of an empty run = %v, want none", got)
	}
	if got := bucketize(cs, 300*time.Millisecond, s); len(got) != 1 || got[0].n != len(cs) || got[0].width != 300*time.Millisecond {
		t.Errorf("a run shorter than a bucket = %+v, want one bucket of the run with everything", got)
	}
}

func TestBucketWidth(t *testing.T) {
	for span, want := range map[time.Duration]time.Duration{
		2 * time.Second:  100 * time.Millisecond,
		10 * time.Second: 500 * time.Millisecond,
		60 * time.Second: 2 * time.Second,
		50 * time.Minute: 2 * time.Minute,
		100 * time.Hour:  10 * time.Minute,
	} {
		if got := bucketWidth(span); got != want {
			t.Errorf("bucketWidth(%v) = %v, want %v", span, got, want)
		}
	}
}

func TestPercentileWidth(t *testing.T) {
	for _, c := range []struct {
		span time.Duration
		n    int
		want time.Duration
	}{
		{30 * time.Second, 200, 5 * time.Second},    // 1 s buckets would hold 6.7 each; 5 s hold 33
		{30 * time.Second, 6000, time.Second},       // 200 a bucket already
		{10 * time.Second, 5, 10 * time.Second},     // never wider than the run
		{2 * time.Second, 0, 2 * time.Second},       // nothing to count: one bucket
		{60 * time.Minute, 100000, 2 * time.Minute}, // as bucketWidth
	} {
		if got := percentileWidth(c.span, c.n); got != c.want {
			t.Errorf("percentileWidth(%v, %d) = %v, want %v", c.span, c.n, got, c.want)
		}
	}
}

func TestParseLevels(t *testing.T) {
	got, err := parseLevels("16, 48")
	if err != nil || !slices.Equal(got, []int{16, 48}) {
		t.Errorf("parseLevels(16, 48) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "16,", "0", "x", "-4"} {
		if _, err := parseLevels(bad); err == nil {
			t.Errorf("parseLevels(%q) took it", bad)
		}
	}
}
