package main

import (
	"math"
	"slices"
	"time"
)

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank-1, 0), len(sorted)-1)]
}

// dist is the distribution of one latency over a run.
type dist struct {
	n                  int
	p50, p95, p99, max time.Duration
}

// distOf summarises durations; zero ones are steps a request never got to
// and are left out.
func distOf(ds []time.Duration) dist {
	ds = slices.DeleteFunc(slices.Clone(ds), func(d time.Duration) bool { return d <= 0 })
	slices.Sort(ds)
	return dist{n: len(ds), p50: percentile(ds, 50), p95: percentile(ds, 95), p99: percentile(ds, 99), max: percentile(ds, 100)}
}

// completion is one request, or one floor workflow, that finished: when,
// counted from the start of its run, and how long it took as a whole.
type completion struct {
	at   time.Duration
	took time.Duration
}

// bucket is one slice of a run's time: how many finished in it, at what
// rate, and the percentiles of how long those took.
type bucket struct {
	start, width  time.Duration
	n             int
	p50, p95, p99 time.Duration
}

// rate is the completions per second in the bucket.
func (b bucket) rate() float64 {
	if b.width <= 0 {
		return 0
	}
	return float64(b.n) / b.width.Seconds()
}

// mid is the middle of the bucket, where a chart puts its point.
func (b bucket) mid() time.Duration { return b.start + b.width/2 }

// bucketize slices a run of length span into buckets of width and puts
// each completion in the bucket of its time. A last bucket shorter than
// half a width joins the one before, so that a run's ragged end does not
// show as a spike or a dip in the rate. Completions at or after span count
// in the last bucket.
func bucketize(cs []completion, span, width time.Duration) []bucket {
	if width <= 0 || span <= 0 {
		return nil
	}
	n := int((span + width - 1) / width)
	if n > 1 && span-time.Duration(n-1)*width < width/2 {
		n--
	}
	buckets := make([]bucket, n)
	took := make([][]time.Duration, n)
	for i := range buckets {
		buckets[i].start = time.Duration(i) * width
		buckets[i].width = width
	}
	buckets[n-1].width = span - buckets[n-1].start
	for _, c := range cs {
		i := min(max(int(c.at/width), 0), n-1)
		took[i] = append(took[i], c.took)
	}
	for i := range buckets {
		ds := took[i]
		slices.Sort(ds)
		buckets[i].n = len(ds)
		buckets[i].p50, buckets[i].p95, buckets[i].p99 = percentile(ds, 50), percentile(ds, 95), percentile(ds, 99)
	}
	return buckets
}

// roundWidths are the bucket widths charts use.
var roundWidths = []time.Duration{
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
}

// bucketWidth picks a round width that cuts span into about 30 buckets,
// enough to see a trend and few enough that each holds several requests.
func bucketWidth(span time.Duration) time.Duration {
	for _, w := range roundWidths {
		if span/w <= 30 {
			return w
		}
	}
	return roundWidths[len(roundWidths)-1]
}

// percentileWidth widens bucketWidth(span) until a bucket holds at least
// 20 of the run's n completions on average, so that its p95 is not simply
// its slowest request (below 20, nearest rank makes p95 the maximum; below
// 100, p99 is).
func percentileWidth(span time.Duration, n int) time.Duration {
	w := bucketWidth(span)
	for _, r := range roundWidths {
		if r < w {
			continue
		}
		w = r
		if buckets := max(float64(span)/float64(r), 1); float64(n)/buckets >= 20 || r >= span {
			break
		}
	}
	return w
}

// throughput is completions per second over a run's wall time.
func throughput(completed int, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return float64(completed) / wall.Seconds()
}
