package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// row is one scenario's figures in one run (or their medians).
type row struct {
	Scenario    string             `json:"scenario"`
	PerSecond   float64            `json:"per_second,omitempty"`
	P50ms       float64            `json:"p50_ms,omitempty"`
	P99ms       float64            `json:"p99_ms,omitempty"`
	N           int                `json:"n,omitempty"`
	Errors      int                `json:"errors"`
	FirstError  string             `json:"first_error,omitempty"`
	Ceiling     string             `json:"ceiling,omitempty"` // "http" or "durability"
	CeilingRate float64            `json:"ceiling_per_second,omitempty"`
	Ratio       float64            `json:"ratio,omitempty"`
	RSSMB       float64            `json:"app_rss_mb,omitempty"`
	HWMMB       float64            `json:"app_hwm_mb,omitempty"`
	Extra       map[string]float64 `json:"extra,omitempty"`
	Target      string             `json:"target,omitempty"`
	Met         bool               `json:"met"`
	Skipped     string             `json:"skipped,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fromSample fills the rate and latency columns.
func fromSample(name string, s sample) row {
	return row{Scenario: name, PerSecond: s.rate(), P50ms: ms(pct(s.Lat, 50)), P99ms: ms(pct(s.Lat, 99)),
		N: s.N, Errors: s.Errors, FirstError: s.FirstErr}
}

// medians takes, per scenario, the median of each figure over the runs,
// then judges the target on the medians.
func medians(runs [][]row) []row {
	var out []row
	if len(runs) == 0 {
		return out
	}
	for _, first := range runs[0] {
		var rs []row
		for _, run := range runs {
			for _, r := range run {
				if r.Scenario == first.Scenario {
					rs = append(rs, r)
				}
			}
		}
		med := func(f func(row) float64) float64 {
			v := make([]float64, len(rs))
			for i, r := range rs {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		m := first
		m.PerSecond = med(func(r row) float64 { return r.PerSecond })
		m.P50ms = med(func(r row) float64 { return r.P50ms })
		m.P99ms = med(func(r row) float64 { return r.P99ms })
		m.CeilingRate = med(func(r row) float64 { return r.CeilingRate })
		m.Ratio = med(func(r row) float64 { return r.Ratio })
		m.RSSMB = med(func(r row) float64 { return r.RSSMB })
		m.HWMMB = med(func(r row) float64 { return r.HWMMB })
		m.N = int(med(func(r row) float64 { return float64(r.N) }))
		m.Errors = int(med(func(r row) float64 { return float64(r.Errors) }))
		if first.Extra != nil {
			m.Extra = map[string]float64{}
			for k := range first.Extra {
				m.Extra[k] = med(func(r row) float64 { return r.Extra[k] })
			}
		}
		m.Met = judge(&m)
		out = append(out, m)
	}
	return out
}

// judge sets the target text of r and reports whether r meets it.
func judge(r *row) bool {
	x := r.Extra
	switch {
	case strings.HasPrefix(r.Scenario, "growth ") && r.Ceiling == "growth" && strings.Contains(r.Scenario, " memory "):
		r.Target = "RSS <= 1.2x the smallest size's"
		return r.Skipped == "" && r.Ratio > 0 && r.Ratio <= 1.2
	case strings.HasPrefix(r.Scenario, "growth ") && r.Ceiling == "growth":
		r.Target = ">= 0.8x the rate at the smallest size"
		return r.Skipped == "" && r.Errors == 0 && r.Ratio >= 0.8
	case strings.HasPrefix(r.Scenario, "growth "):
		return r.Skipped == "" // the smallest size: the baseline
	case r.Scenario == "pg2 callback":
		r.Target = ">= 2000/s through either instance; one transition each"
		return r.Skipped == "" && r.PerSecond >= 2000 && x["transitions"] == x["paid"] && x["paid"] >= float64(r.N) && x["extra_transitions"] == 0
	case r.Scenario == "pg2 push":
		r.Target = "callback on A to push on B: p99 < 100 ms"
		return r.Skipped == "" && x["delivered"] == x["sockets"] && r.P99ms < 100
	}
	switch r.Scenario {
	case "render":
		r.Target = ">= 25% of HTTP ceiling (p99: render-rate)"
		return r.Ratio >= 0.25
	case "render-rate":
		r.Target = "p99 < 10 ms at 64 conns, offered 25% of HTTP ceiling"
		return r.Skipped == "" && r.PerSecond >= 0.98*x["offered_per_second"] && r.P99ms < 10
	case "start-rate":
		r.Target = "p99 < 50 ms, offered 1000/s"
		return r.PerSecond >= 0.98*x["offered_per_second"] && x["offered_per_second"] >= 1000 && r.P99ms < 50
	case "create":
		r.Target = ">= 60% of durability ceiling; >= 3000/s"
		return r.Ratio >= 0.60 && r.PerSecond >= 3000
	case "start":
		r.Target = ">= 1000/s (p99: start-rate)"
		return r.PerSecond >= 1000
	case "callback":
		r.Target = ">= 80% of durability ceiling"
		return r.Ratio >= 0.80
	case "push":
		r.Target = "all sockets get paid; p99 < 50 ms; <= 30 KB per socket (whole and second half)"
		return x["delivered"] == x["sockets"] && r.P99ms < 50 && x["kb_per_socket"] <= 30 && x["kb_per_socket_second_half"] <= 30
	case "memory":
		r.Target = "RSS at 8x the payments in the database <= 1.25x RSS at 1x"
		return x["growth"] > 0 && x["growth"] <= 1.25
	case "startup":
		r.Target = "ready < 300 ms; idle < 40 MB; static binary < 40 MB"
		return x["ready_ms"] < 300 && x["idle_rss_mb"] < 40 && x["binary_mb"] < 40 && x["static"] == 1
	case "postgres":
		r.Target = "callback on A to push on B: p99 < 100 ms"
		return r.Skipped == "" && x["delivered"] == x["sockets"] && r.P99ms < 100
	}
	return true // the ceilings themselves
}

func printTable(w io.Writer, rep report) {
	m := rep.Machine
	fmt.Fprintf(w, "\nmachine: %d CPUs, %s, %s; load average at start %s, at end %s\n", m.CPUs, m.CPU, m.Go, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(w, "medians of %d run(s)\n\n", len(rep.Runs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tper second\tp50 ms\tp99 ms\tceiling/s\tratio\tapp RSS MB\terrors\tmet\t")
	for _, r := range rep.Median {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t\n", r.Scenario)
			continue
		}
		ceil, ratio := "-", "-"
		if r.Ceiling != "" {
			ceil, ratio = fmt.Sprintf("%.0f (%s)", r.CeilingRate, r.Ceiling), fmt.Sprintf("%.0f%%", 100*r.Ratio)
		}
		met := "-"
		if r.Target != "" {
			met = map[bool]string{true: "yes", false: "NO"}[r.Met]
		}
		rate := "-"
		if r.PerSecond > 0 {
			rate = fmt.Sprintf("%.0f", r.PerSecond)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%s\t%s\t%.1f\t%d\t%s\t\n", r.Scenario, rate, r.P50ms, r.P99ms, ceil, ratio, r.RSSMB, r.Errors, met)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range rep.Median {
		switch {
		case r.Skipped != "":
			fmt.Fprintf(w, "%s: skipped: %s\n", r.Scenario, r.Skipped)
			continue
		case r.Target != "":
			fmt.Fprintf(w, "%s: target %s", r.Scenario, r.Target)
		default:
			fmt.Fprintf(w, "%s:", r.Scenario)
		}
		var extra []string
		for _, k := range slices.Sorted(mapsKeys(r.Extra)) {
			extra = append(extra, fmt.Sprintf("%s=%.1f", k, r.Extra[k]))
		}
		if len(extra) > 0 {
			fmt.Fprintf(w, " [%s]", strings.Join(extra, " "))
		}
		if r.FirstError != "" {
			fmt.Fprintf(w, " first error: %s", r.FirstError)
		}
		fmt.Fprintln(w)
	}
}

func mapsKeys(m map[string]float64) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
