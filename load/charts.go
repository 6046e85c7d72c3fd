package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours tell the product from the floor; the line's dashes tell the
// percentiles, or the floor run before from the one after.
var (
	productColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	floorColor   = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	dashes       = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(1.5), vg.Points(2.5)}}
)

const chartWidth, chartHeight = 10 * vg.Inch, 4.5 * vg.Inch

// series is one run drawn on a chart: its completions over its own time.
type series struct {
	name string
	span time.Duration // the run's wall time
	cs   []completion
}

// phaseSeries are the product's run and the floor's runs of a phase.
func (p *phaseResult) phaseSeries() (product series, floors []series) {
	product = series{name: "product", span: p.product.wall, cs: p.product.completions()}
	for i, f := range p.floors {
		floors = append(floors, series{name: floorNames[i], span: f.Wall, cs: floorCompletions(f)})
	}
	return product, floors
}

// longest is the longest run of a phase, which sets the charts' time axis
// and their bucket width.
func longest(all ...series) time.Duration {
	var span time.Duration
	for _, s := range all {
		span = max(span, s.span)
	}
	return span
}

// throughputChart draws the completions per second of each run of the
// phase over time: the product and the floor before and after it.
func throughputChart(p *phaseResult, path string) error {
	product, floors := p.phaseSeries()
	width := bucketWidth(longest(append([]series{product}, floors...)...))
	ch := newChart(fmt.Sprintf("Onboardings completed per second, %d in flight (%s buckets)", p.c, width),
		"seconds since the run began", "completed per second")
	add := func(s series, c color.Color, dash []vg.Length) error {
		buckets := bucketize(s.cs, s.span, width)
		xys := make(plotter.XYs, len(buckets))
		for i, b := range buckets {
			xys[i] = plotter.XY{X: b.mid().Seconds(), Y: b.rate()}
		}
		return ch.addLine(xys, s.name, c, dash)
	}
	if err := add(product, productColor, nil); err != nil {
		return err
	}
	for i, f := range floors {
		if err := add(f, floorColor, dashes[i%len(dashes)]); err != nil {
			return err
		}
	}
	ch.Y.Min = 0
	ch.Y.Tick.Marker = roundTicks{}
	if ch.maxY > 0 {
		ch.Y.Max = ch.maxY * 1.08
	}
	return ch.save(path)
}

// latencyChart draws p50, p95 and p99 of the whole request per bucket of
// the time it ended: the product's, and the floor's with its runs before
// and after the product taken together. Each gets buckets wide enough to
// hold about 20 requests, so that its p95 is not merely its slowest.
func latencyChart(p *phaseResult, path string) error {
	product, floors := p.phaseSeries()
	span := longest(append([]series{product}, floors...)...)
	pooled := series{name: "floor"}
	for _, f := range floors {
		pooled.span = max(pooled.span, f.span)
		pooled.cs = append(pooled.cs, f.cs...)
	}
	type run struct {
		s     series
		c     color.Color
		width time.Duration
	}
	runs := []run{{product, productColor, percentileWidth(span, len(product.cs))}}
	widths := []string{fmt.Sprintf("product %s", runs[0].width)}
	if len(floors) > 0 {
		runs = append(runs, run{pooled, floorColor, percentileWidth(pooled.span, len(pooled.cs))})
		widths = append(widths, fmt.Sprintf("floor %s", runs[1].width))
	}
	ch := newChart(fmt.Sprintf("Whole request p50 / p95 / p99, %d in flight (buckets: %s)", p.c, strings.Join(widths, ", ")),
		"seconds since the run began (when the request ended)", "seconds (log scale)")
	ch.Y.Scale = plot.LogScale{}
	ch.Y.Tick.Marker = logTicks{}
	for _, r := range runs {
		buckets := bucketize(r.s.cs, r.s.span, r.width)
		for i, q := range []struct {
			name string
			of   func(bucket) time.Duration
		}{
			{"p50", func(b bucket) time.Duration { return b.p50 }},
			{"p95", func(b bucket) time.Duration { return b.p95 }},
			{"p99", func(b bucket) time.Duration { return b.p99 }},
		} {
			var xys plotter.XYs
			for _, b := range buckets {
				if b.n > 0 { // an empty bucket has no latency: the line skips it
					xys = append(xys, plotter.XY{X: b.mid().Seconds(), Y: q.of(b).Seconds()})
				}
			}
			if err := ch.addLine(xys, r.s.name+" "+q.name, r.c, dashes[i]); err != nil {
				return err
			}
		}
	}
	if ch.maxY > 0 {
		ch.Y.Min, ch.Y.Max = ch.minY/1.15, ch.maxY*1.15
	} else {
		// A log axis needs a range above zero, which no point gives here.
		ch.Y.Min, ch.Y.Max = 0.1, 10
	}
	return ch.save(path)
}

// chart is a plot with its legend, which goes to the right of the plot
// rather than over its lines.
type chart struct {
	*plot.Plot
	legend     plot.Legend
	minY, maxY float64
}

func newChart(title, x, y string) *chart {
	pl := plot.New()
	pl.Title.Text = title
	pl.X.Label.Text = x
	pl.Y.Label.Text = y
	pl.X.Min = 0
	pl.X.Tick.Marker = roundTicks{}
	pl.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.Padding = vg.Points(3)
	return &chart{Plot: pl, legend: legend, minY: math.Inf(1), maxY: math.Inf(-1)}
}

// addLine adds a line with its legend entry; a series with no point (a run
// in which nothing completed) gets the legend entry only.
func (ch *chart) addLine(xys plotter.XYs, name string, c color.Color, dash []vg.Length) error {
	style := draw.LineStyle{Color: c, Width: vg.Points(2), Dashes: dash}
	if len(xys) == 0 {
		ch.legend.Add(name+" (none)", legendLine{style})
		return nil
	}
	// Points too, so that a series of one bucket shows.
	l, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("chart %s: %w", name, err)
	}
	l.LineStyle = style
	points.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
	ch.Add(l, points)
	ch.legend.Add(name, l)
	for _, xy := range xys {
		ch.minY, ch.maxY = math.Min(ch.minY, xy.Y), math.Max(ch.maxY, xy.Y)
	}
	return nil
}

// save writes the chart as PNG or SVG, by path's extension, with the
// legend in a column of its own on the right.
func (ch *chart) save(path string) (err error) {
	const legendWidth = 1.5 * vg.Inch
	c, err := draw.NewFormattedCanvas(chartWidth, chartHeight, strings.TrimPrefix(filepath.Ext(path), "."))
	if err != nil {
		return err
	}
	dc := draw.New(c)
	ch.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	ch.legend.Draw(draw.Crop(dc, chartWidth-legendWidth+vg.Points(10), 0, 0, -vg.Points(30)))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = c.WriteTo(f)
	return err
}

// legendLine is the legend's thumbnail of a line that has no points.
type legendLine struct{ style draw.LineStyle }

func (l legendLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.style, c.Min.X, y, c.Max.X, y)
}

// roundTicks labels a linear axis at about five round values (steps of 1,
// 2 or 5 times a power of ten), where the default labels only its ends.
type roundTicks struct{}

func (roundTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi <= lo {
		return nil
	}
	raw := (hi - lo) / 5
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step/1e6; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		if half := v + step/2; half < hi {
			ticks = append(ticks, plot.Tick{Value: half})
		}
	}
	return ticks
}

// logTicks labels a log axis at 1, 2 and 5 of each decade, so that
// latencies between 0.1 s and 10 s read without counting minor ticks.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= 0 {
		return nil
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1; m < 10; m++ {
			v := float64(m) * math.Pow10(int(e))
			if v < lo*0.999 || v > hi*1.001 {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// write writes the charts of every phase and report.md into dir, and
// returns report.md's path.
func (rr *runReport) write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Load run %s\n\n", rr.runID)
	fmt.Fprintf(&b, "%s · `go run ./load %s` · %d requests per phase, mix %s, against %s · check: **%s**\n\n",
		rr.began.Format("2006-01-02 15:04"), strings.Join(os.Args[1:], " "), rr.cfg.n, rr.cfg.mix, rr.target, passWord(rr.pass))
	if rr.cfg.floor {
		fmt.Fprintf(&b, "The floor is `LoadFloor`, a bare workflow of the approved request's shape (%s, all no-ops) with its own "+
			"worker inside the load command, on the same Temporal server; it runs before and after each phase, at the same number "+
			"in flight. Ratios are product / floor.\n\n", shapeText(rr.shape))
	}
	b.WriteString("## Figures\n\n")
	header, rows := rr.summary()
	writeTable(&b, header, func(add func(...string)) {
		for _, r := range rows {
			add(r...)
		}
	})
	if len(rr.histories) > 0 {
		b.WriteString("\n")
		for _, h := range rr.histories {
			if h.err != nil {
				fmt.Fprintf(&b, "- history of %s: %v\n", h.what, h.err)
				continue
			}
			fmt.Fprintf(&b, "- history of %s (`%s`): **%d events**\n", h.what, h.workflowID, h.events)
		}
	}
	for _, p := range rr.phases {
		fmt.Fprintf(&b, "\n## %d in flight\n\n", p.c)
		tp, lat := fmt.Sprintf("throughput-c%d.png", p.c), fmt.Sprintf("latency-c%d.png", p.c)
		if err := throughputChart(p, filepath.Join(dir, tp)); err != nil {
			return "", err
		}
		if err := latencyChart(p, filepath.Join(dir, lat)); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "![Onboardings completed per second, %d in flight: the product (blue) and the floor before and after it (orange)](%s)\n\n", p.c, tp)
		fmt.Fprintf(&b, "![Whole request p50, p95 and p99 over the run, %d in flight: the product (blue) and the floor (orange)](%s)\n\n", p.c, lat)
		writeTable(&b, []string{"product latency (ms)", "n", "p50", "p95", "p99", "max"}, func(add func(...string)) {
			for _, l := range latencies {
				d := p.product.dist(l.of)
				add(l.name, strconv.Itoa(d.n), ms(d.p50), ms(d.p95), ms(d.p99), ms(d.max))
			}
		})
		for i, f := range p.floors {
			fmt.Fprintf(&b, "\n%s\n", floorLine(floorNames[i], f))
		}
	}
	if len(rr.procs) > 0 {
		b.WriteString("\n## Processes\n\n")
		writeTable(&b, []string{"process", "peak RSS MiB", "CPU s"}, func(add func(...string)) {
			for _, p := range rr.procs {
				if p.err != nil {
					add(p.name, p.err.Error(), "")
					continue
				}
				add(p.name, fmt.Sprintf("%.1f", p.peakMiB), fmt.Sprintf("%.1f", p.cpu.Seconds()))
			}
		})
		b.WriteString("\nThe floor's worker runs inside `load`.\n")
	}
	path := filepath.Join(dir, "report.md")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}
