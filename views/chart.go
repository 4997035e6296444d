package views

// Chart is a bar chart of one value per day, drawn on the server as
// inline SVG (admin_home.templ's chartSVG): no script, no chart library.
// It is an image with a title and a description for screen readers, and
// the page puts the same numbers in a table beside it.
type Chart struct {
	ID       string // unique on the page; the title's and description's ids derive from it
	Currency string
	Bars     []Bar
	Max      string // the largest day's value, formatted
	MaxDay   string // that day
	Total    string // the sum over the days, formatted
	First    string // the first day's label, under the left end
	Last     string // the last day's label, under the right end
	Empty    bool   // every day is zero
}

// Bar is one day's bar, in the chart's coordinates (ChartWidth x
// ChartHeight, y down).
type Bar struct {
	X, Y, W, H int
	Label      string // "2026-12-03: 12.50", its tooltip
}

// The chart's drawing area: bars stand on ChartBase and the tallest
// reaches ChartTop.
const (
	ChartWidth  = 600
	ChartHeight = 180
	ChartTop    = 16
	ChartBase   = 156
)

// NewChart lays out one bar per day: days and values are parallel, values
// in minor units (never negative; a negative one draws as zero) and format
// writes one for people. Heights are proportional to the largest value;
// a day with any value gets at least one unit, so it shows.
func NewChart(id, currency string, days []string, values []int64, format func(int64) string) Chart {
	c := Chart{ID: id, Currency: currency}
	if len(days) == 0 || len(days) != len(values) {
		c.Empty = true
		return c
	}
	c.First, c.Last = days[0], days[len(days)-1]
	var peak, total int64
	for i, v := range values {
		total += max(v, 0)
		if v > peak {
			peak, c.MaxDay = v, days[i]
		}
	}
	c.Max, c.Total, c.Empty = format(peak), format(total), peak == 0
	slot := ChartWidth / len(days)
	plot := int64(ChartBase - ChartTop)
	for i, v := range values {
		h := 0
		if v > 0 {
			h = max(int(v*plot/peak), 1)
		}
		c.Bars = append(c.Bars, Bar{X: i*slot + 1, Y: ChartBase - h, W: max(slot-2, 1), H: h,
			Label: days[i] + ": " + format(max(v, 0))})
	}
	return c
}
