package views

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func cents(v int64) string {
	return strconv.FormatInt(v/100, 10) + "." + strconv.FormatInt(v%100/10, 10) + strconv.FormatInt(v%10, 10)
}

// TestChartBars: each day is one bar standing on the base line, heights
// proportional to the values with the largest reaching the top, a zero
// day drawn as nothing and a tiny one as one unit; the description's
// figures are the peak and the total.
func TestChartBars(t *testing.T) {
	days := []string{"2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"}
	c := NewChart("c", "NZD", days, []int64{5000, 0, 10000, 1}, cents)
	plot := ChartBase - ChartTop
	wantH := []int{plot / 2, 0, plot, 1}
	for i, b := range c.Bars {
		if b.H != wantH[i] || b.Y+b.H != ChartBase {
			t.Errorf("bar %d = %+v, want height %d on the base line", i, b, wantH[i])
		}
		if b.X < 0 || b.X+b.W > ChartWidth || (i > 0 && b.X <= c.Bars[i-1].X+c.Bars[i-1].W-1) {
			t.Errorf("bar %d = %+v is outside the chart or overlaps the one before", i, b)
		}
	}
	if c.Max != "100.00" || c.MaxDay != "2026-12-03" || c.Total != "150.01" || c.First != days[0] || c.Last != days[3] || c.Empty {
		t.Errorf("chart = %+v", c)
	}
	if e := NewChart("e", "NZD", days, []int64{0, 0, 0, -5}, cents); !e.Empty || e.Max != "0.00" {
		t.Errorf("all zero: %+v, want empty", e)
	} else {
		for _, b := range e.Bars {
			if b.H != 0 {
				t.Errorf("zero or negative day drew %+v", b)
			}
		}
	}
}

// TestChartSVG: the chart renders as an image whose title and description
// it names with aria-labelledby, one rect per day with takings, each with
// its own tooltip; no style attribute (the CSP allows none).
func TestChartSVG(t *testing.T) {
	c := NewChart("chart-NZD", "NZD", []string{"2026-12-01", "2026-12-02"}, []int64{250, 0}, cents)
	var buf bytes.Buffer
	if err := chartSVG(c).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	svg := doc.Find("svg")
	if role, _ := svg.Attr("role"); role != "img" {
		t.Errorf("role = %q, want img", role)
	}
	if l, _ := svg.Attr("aria-labelledby"); l != "chart-NZD-t chart-NZD-d" {
		t.Errorf("aria-labelledby = %q", l)
	}
	if svg.Find("title#chart-NZD-t").Length() != 1 || !strings.Contains(svg.Find("desc#chart-NZD-d").Text(), "2.50") {
		t.Errorf("title/desc missing: %s", buf.String())
	}
	rects := svg.Find("rect.bar")
	if rects.Length() != 1 || rects.Find("title").Text() != "2026-12-01: 2.50" {
		t.Errorf("bars = %d, tooltip %q", rects.Length(), rects.Find("title").Text())
	}
	if doc.Find("[style]").Length() > 0 {
		t.Error("the chart uses a style attribute")
	}
}
