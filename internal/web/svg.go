package web

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Charts drawn on the server as inline SVG: no script, no library, a few
// kilobytes each. Every chart has a title and a description for screen
// readers, and the page shows the same figures as text next to it.

// Chart colours: met, not met, no target, target line. Each has a contrast
// of at least 4.5:1 against white.
const (
	colourMet    = "#2e7d45"
	colourUnmet  = "#b3261e"
	colourNone   = "#3f6690"
	colourTarget = "#1b1f24"
	colourGrid   = "#c9ced6"
)

// barItem is one bar of a chart: a value against an optional target.
type barItem struct {
	Label  string
	Value  *float64 // nil: no data
	Target *float64
	Met    *bool
	Text   string // the value as written next to the bar
	Href   string // where the bar leads (a drill-down), or ""
}

// svgOpen starts an accessible SVG of the given size.
func svgOpen(b *strings.Builder, w, h int, title, desc string) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s" xmlns="http://www.w3.org/2000/svg">`, w, h, svgID(title))
	fmt.Fprintf(b, `<title id="%s">%s</title><desc>%s</desc>`, svgID(title), esc(title), esc(desc))
}

func esc(s string) string { return html.EscapeString(s) }

// svgID makes an element id from a title.
func svgID(s string) string {
	var b strings.Builder
	b.WriteString("c")
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
		if b.Len() > 24 {
			break
		}
	}
	return fmt.Sprintf("%s%d", b.String(), len(s))
}

func barColour(it barItem) string {
	switch {
	case it.Met == nil:
		return colourNone
	case *it.Met:
		return colourMet
	}
	return colourUnmet
}

// ratioBars draws ratios from 0 to 100% as horizontal bars, each with its
// target as a dark tick across the bar.
func ratioBars(title, desc, targetWord, noData string, items []barItem) string {
	const w, left, right, row = 320, 12, 46, 40
	plot := float64(w - left - right)
	h := row*len(items) + 18
	var b strings.Builder
	svgOpen(&b, w, h, title, desc)
	for _, pct := range []float64{0, 0.5, 1} {
		x := float64(left) + plot*pct
		fmt.Fprintf(&b, `<line x1="%.1f" y1="4" x2="%.1f" y2="%d" stroke="%s" stroke-width="1"/>`, x, x, h-14, colourGrid)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="10">%.0f%%</text>`, x, h-3, pct*100)
	}
	for i, it := range items {
		y := i*row + 4
		label := esc(it.Label)
		if it.Href != "" {
			fmt.Fprintf(&b, `<a href="%s">`, esc(it.Href))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">%s</text>`, 2, y+11, label)
		if it.Value == nil {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" font-style="italic" fill="#4f5660">%s</text>`, left+2, y+28, esc(noData))
		} else {
			v := math.Max(0, math.Min(1, *it.Value))
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="14" fill="%s"/>`, left, y+16, math.Max(plot*v, 1), barColour(it))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" font-weight="bold">%s</text>`, float64(left)+plot+4, y+28, esc(it.Text))
		}
		if it.Target != nil {
			x := float64(left) + plot*math.Max(0, math.Min(1, *it.Target))
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2.5"><title>%s</title></line>`,
				x, y+13, x, y+33, colourTarget, esc(targetWord))
		}
		if it.Href != "" {
			b.WriteString(`</a>`)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// countBars draws counts as horizontal bars scaled to the largest.
func countBars(title, desc string, items []barItem) string {
	const w, left, right, row = 320, 2, 34, 36
	plot := float64(w - left - right)
	h := row*len(items) + 4
	max := 1.0
	for _, it := range items {
		if it.Value != nil && *it.Value > max {
			max = *it.Value
		}
	}
	var b strings.Builder
	svgOpen(&b, w, h, title, desc)
	for i, it := range items {
		y := i*row + 4
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">%s</text>`, left, y+11, esc(it.Label))
		v := 0.0
		if it.Value != nil {
			v = *it.Value
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="14" fill="%s"/>`, left, y+15, math.Max(plot*v/max, 1), colourUnmet)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" font-weight="bold">%s</text>`, float64(left)+plot*v/max+4, y+27, esc(it.Text))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// trendPoint is one month of a trend.
type trendPoint struct {
	Label string
	Value *float64
	Met   *bool
	Text  string
}

// trendLine draws monthly values from 0 to 100% as a line, with the target
// as a dashed line across.
func trendLine(title, desc, targetWord string, points []trendPoint, target *float64) string {
	const w, h, left, right, top, bottom = 320, 170, 36, 12, 10, 24
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	var b strings.Builder
	svgOpen(&b, w, h, title, desc)
	for _, pct := range []float64{0, 0.25, 0.5, 0.75, 1} {
		y := float64(top) + ph*(1-pct)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="1"/>`, left, y, w-right, y, colourGrid)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="10">%.0f%%</text>`, left-4, y+3, pct*100)
	}
	n := len(points)
	x := func(i int) float64 {
		if n == 1 {
			return float64(left) + pw/2
		}
		return float64(left) + pw*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 { return float64(top) + ph*(1-math.Max(0, math.Min(1, v))) }
	if target != nil {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="6 4"><title>%s</title></line>`,
			left, y(*target), w-right, y(*target), colourTarget, esc(targetWord))
	}
	var path []string
	for i, p := range points {
		if p.Value == nil {
			if len(path) > 1 {
				fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(path, " "), colourNone)
			}
			path = nil
			continue
		}
		path = append(path, fmt.Sprintf("%.1f,%.1f", x(i), y(*p.Value)))
	}
	if len(path) > 1 {
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(path, " "), colourNone)
	}
	step := 1
	if n > 12 {
		step = (n + 11) / 12
	}
	for i, p := range points {
		if i%step == 0 || i == n-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="10">%s</text>`, x(i), h-8, esc(p.Label))
		}
		if p.Value != nil {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s: %s</title></circle>`,
				x(i), y(*p.Value), barColour(barItem{Met: p.Met}), esc(p.Label), esc(p.Text))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}
