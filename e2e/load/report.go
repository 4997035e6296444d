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
	// Missed names the conditions of the target the figures missed, with
	// the figure and its bound, where a target has more than one (set by
	// judge; empty when met).
	Missed  string `json:"missed,omitempty"`
	Skipped string `json:"skipped,omitempty"`
	// RunsMet of RunsJudged runs met the target on their own figures
	// (set on the medians only).
	RunsMet    int `json:"runs_met,omitempty"`
	RunsJudged int `json:"runs_judged,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fromSample fills the rate and latency columns.
func fromSample(name string, s sample) row {
	return row{Scenario: name, PerSecond: s.rate(), P50ms: ms(pct(s.Lat, 50)), P99ms: ms(pct(s.Lat, 99)),
		N: s.N, Errors: s.Errors, FirstError: s.FirstErr}
}

// medians takes, per scenario, the median of each figure over the runs,
// then judges the target on the medians, and counts the runs that met it
// on their own figures.
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
		if m.Target != "" {
			for _, r := range rs {
				m.RunsJudged++
				if judge(&r) {
					m.RunsMet++
				}
			}
		}
		out = append(out, m)
	}
	return out
}

// The targets every verdict is judged against, in one place. The target
// text printed beside each verdict is made from these.
const (
	// renderOfHTTP: the checkout page, closed loop, serves at least this
	// share of the same run's HTTP ceiling.
	renderOfHTTP = 0.50
	// renderRateOfHTTP: render-rate offers the page at this share of the
	// run's HTTP ceiling (unless -render-rate says otherwise) ...
	renderRateOfHTTP = 0.25
	// renderRateP99ms: ... and its p99 stays under this many ms.
	renderRateP99ms = 10
	// offeredReached: a fixed-rate row must serve at least this share of
	// the rate it offered, or its latency is not a latency at that rate.
	offeredReached = 0.98
	// createOfDurability and createPerSecond: payment creation serves at
	// least this share of the durability ceiling and at least this rate.
	createOfDurability = 0.60
	createPerSecond    = 3000
	// startPerSecond: checkout starts a second, closed loop.
	startPerSecond = 1000
	// startRateOffered and startRateP99ms: start-rate offers at least this
	// rate and its p99 stays under this many ms.
	startRateOffered = 1000
	startRateP99ms   = 50
	// callbackOfDurability: callback ingestion serves at least this
	// multiple of the durability ceiling ...
	callbackOfDurability = 1.2
	// callbackAppCPUus: ... spending at most this many µs of the app's CPU
	// (user and system) a callback.
	callbackAppCPUus = 120
	// pushP99ms and pushKBPerSocket: every socket gets paid, with p99
	// under this many ms from the callback's answer, and the app's RSS
	// grows by at most this many KB a socket (over all the sockets and
	// over the second half alone).
	pushP99ms       = 50
	pushKBPerSocket = 30
	// maxMemoryGrowth: RSS with 8x the payments in the database is at most
	// this multiple of RSS at 1x.
	maxMemoryGrowth = 1.25
	// readyMs, idleRSSMB, binaryMB: start-up to /healthz under this many
	// ms, idle RSS and the static binary under this many MB.
	readyMs   = 300
	idleRSSMB = 40
	binaryMB  = 40
	// pg2PerSecond: two instances on one PostgreSQL take at least this
	// many callbacks a second through either, one transition each.
	pg2PerSecond = 2000
	// pgPushP99ms: a callback on instance A to the push on instance B,
	// p99 under this many ms (the postgres and pg2 push rows).
	pgPushP99ms = 100
	// growthRate: each operation's rate at the largest database is at
	// least this share of its rate at the smallest size (1,000,000 and
	// 10,000 by default); the sizes between are shown, not judged.
	growthRate = 0.80
	// growthRSS: the app's RSS at the largest size is at most this
	// multiple of its RSS at the smallest size.
	growthRSS = 1.2
)

// judge sets the target text of r and reports whether r meets it.
func judge(r *row) bool {
	x := r.Extra
	switch {
	case strings.HasPrefix(r.Scenario, "growth ") && r.Ceiling == ceilingGrowth && strings.Contains(r.Scenario, " memory "):
		r.Target = fmt.Sprintf("RSS <= %gx the smallest size's", growthRSS)
		return r.Skipped == "" && r.Ratio > 0 && r.Ratio <= growthRSS
	case strings.HasPrefix(r.Scenario, "growth ") && r.Ceiling == ceilingGrowth:
		r.Target = fmt.Sprintf(">= %.2fx the rate at the smallest size", growthRate)
		return r.Skipped == "" && r.Errors == 0 && r.Ratio >= growthRate
	case strings.HasPrefix(r.Scenario, "growth "):
		// The smallest size, the baseline, and the sizes between, whose
		// ratio the table shows unjudged.
		return r.Skipped == ""
	case r.Scenario == "pg2 callback":
		r.Target = fmt.Sprintf(">= %d/s through either instance; one transition each", pg2PerSecond)
		return r.Skipped == "" && r.PerSecond >= pg2PerSecond && x["transitions"] == x["paid"] && x["paid"] >= float64(r.N) && x["extra_transitions"] == 0
	case r.Scenario == "pg2 push":
		r.Target = fmt.Sprintf("callback on A to push on B: p99 < %d ms", pgPushP99ms)
		return r.Skipped == "" && x["delivered"] == x["sockets"] && r.P99ms < pgPushP99ms
	}
	switch r.Scenario {
	case "render":
		r.Target = fmt.Sprintf(">= %.0f%% of HTTP ceiling (p99: render-rate)", 100*renderOfHTTP)
		return r.Ratio >= renderOfHTTP
	case "render-rate":
		r.Target = fmt.Sprintf("p99 < %d ms at 64 conns, offered %.0f%% of HTTP ceiling", renderRateP99ms, 100*renderRateOfHTTP)
		return r.Skipped == "" && r.PerSecond >= offeredReached*x["offered_per_second"] && r.P99ms < renderRateP99ms
	case "start-rate":
		r.Target = fmt.Sprintf("p99 < %d ms, offered %d/s", startRateP99ms, startRateOffered)
		return r.PerSecond >= offeredReached*x["offered_per_second"] && x["offered_per_second"] >= startRateOffered && r.P99ms < startRateP99ms
	case "create":
		r.Target = fmt.Sprintf(">= %.0f%% of durability ceiling; >= %d/s", 100*createOfDurability, createPerSecond)
		return r.Ratio >= createOfDurability && r.PerSecond >= createPerSecond
	case "start":
		r.Target = fmt.Sprintf(">= %d/s (p99: start-rate)", startPerSecond)
		return r.PerSecond >= startPerSecond
	case "callback":
		r.Target = fmt.Sprintf(">= %.1fx durability ceiling; app CPU <= %d us a callback", callbackOfDurability, callbackAppCPUus)
		cpu, ok := x["app_cpu_us_per_op"]
		var missed []string
		if r.Ratio < callbackOfDurability {
			missed = append(missed, fmt.Sprintf("ratio %.2fx < %.1fx the durability ceiling", r.Ratio, callbackOfDurability))
		}
		switch {
		case !ok:
			missed = append(missed, "no app CPU figure")
		case cpu > callbackAppCPUus:
			missed = append(missed, fmt.Sprintf("app CPU %.0f us > %d us a callback", cpu, callbackAppCPUus))
		}
		r.Missed = strings.Join(missed, "; ")
		return len(missed) == 0
	case "push":
		r.Target = fmt.Sprintf("all sockets get paid; p99 < %d ms; <= %d KB per socket (whole and second half)", pushP99ms, pushKBPerSocket)
		return x["delivered"] == x["sockets"] && r.P99ms < pushP99ms && x["kb_per_socket"] <= pushKBPerSocket && x["kb_per_socket_second_half"] <= pushKBPerSocket
	case "memory":
		r.Target = fmt.Sprintf("RSS at 8x the payments in the database <= %.2fx RSS at 1x", maxMemoryGrowth)
		return x["growth"] > 0 && x["growth"] <= maxMemoryGrowth
	case "startup":
		r.Target = fmt.Sprintf("ready < %d ms; idle < %d MB; static binary < %d MB", readyMs, idleRSSMB, binaryMB)
		return x["ready_ms"] < readyMs && x["idle_rss_mb"] < idleRSSMB && x["binary_mb"] < binaryMB && x["static"] == 1
	case "postgres":
		r.Target = fmt.Sprintf("callback on A to push on B: p99 < %d ms", pgPushP99ms)
		return r.Skipped == "" && x["delivered"] == x["sockets"] && r.P99ms < pgPushP99ms
	}
	return true // the ceilings themselves
}

// verdict is the met column: yes or NO on the medians and, over more
// than one run, how many of the runs met the target on their own.
func verdict(r row) string {
	if r.Target == "" {
		return "-"
	}
	v := map[bool]string{true: "yes", false: "NO"}[r.Met]
	if r.RunsJudged > 1 {
		v += fmt.Sprintf(" (%d of %d runs)", r.RunsMet, r.RunsJudged)
	}
	return v
}

func printTable(w io.Writer, rep report) {
	m := rep.Machine
	fmt.Fprintf(w, "\nmachine: %d CPUs, %s, %s; load average at start %s, at end %s\n", m.CPUs, m.CPU, m.Go, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(w, "medians of %d run(s)\n\n", len(rep.Runs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tper second\tp50 ms\tp99 ms\tceiling/s\tratio\tapp RSS MB\terrors\tmet\t target")
	for _, r := range rep.Median {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t\n", r.Scenario)
			continue
		}
		ceil, ratio := "-", "-"
		if r.Ceiling != "" {
			ceil, ratio = fmt.Sprintf("%.0f (%s)", r.CeilingRate, r.Ceiling), fmt.Sprintf("%.0f%%", 100*r.Ratio)
		}
		rate := "-"
		if r.PerSecond > 0 {
			rate = fmt.Sprintf("%.0f", r.PerSecond)
		}
		target := ""
		if r.Target != "" {
			target = " " + r.Target
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%s\t%s\t%.1f\t%d\t%s\t%s\n", r.Scenario, rate, r.P50ms, r.P99ms, ceil, ratio, r.RSSMB, r.Errors, verdict(r), target)
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
		if r.Missed != "" {
			fmt.Fprintf(w, " missed: %s", r.Missed)
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
