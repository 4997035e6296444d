package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestJudgeTargets feeds fixed figures to judge, each at or just past the
// edge of the current target of its row.
func TestJudgeTargets(t *testing.T) {
	cb := func(ratio, cpu float64) row {
		return row{Scenario: "callback", PerSecond: 6724, Ratio: ratio, Ceiling: "durability",
			Extra: map[string]float64{"app_cpu_us_per_op": cpu, "sim_cpu_us_per_op": 3}}
	}
	for _, c := range []struct {
		name string
		r    row
		met  bool
	}{
		{"page at half the HTTP ceiling", row{Scenario: "render", Ratio: 0.50}, true},
		{"page at 48% of the HTTP ceiling", row{Scenario: "render", Ratio: 0.48}, false},
		{"page at 30% of the HTTP ceiling", row{Scenario: "render", Ratio: 0.30}, false},
		{"callbacks 1.2x, 120 µs", cb(1.2, 120), true},
		{"callbacks 1.75x, 192 µs of app CPU", cb(1.75, 192), false},
		{"callbacks 1.19x, 100 µs", cb(1.19, 100), false},
		{"callbacks 0.9x, 100 µs", cb(0.9, 100), false},
		{"callbacks with no app CPU figure", row{Scenario: "callback", Ratio: 2}, false},
		{"creation 60%, 3000/s", row{Scenario: "create", Ratio: 0.60, PerSecond: 3000}, true},
		{"creation 175%, 2999/s", row{Scenario: "create", Ratio: 1.75, PerSecond: 2999}, false},
		{"start 1000/s", row{Scenario: "start", PerSecond: 1000}, true},
		{"start 999/s", row{Scenario: "start", PerSecond: 999}, false},
		{"start offered 1000/s, p99 49.9 ms", row{Scenario: "start-rate", PerSecond: 1000, P99ms: 49.9,
			Extra: map[string]float64{"offered_per_second": 1000}}, true},
		{"start offered 1000/s, p99 50 ms", row{Scenario: "start-rate", PerSecond: 1000, P99ms: 50,
			Extra: map[string]float64{"offered_per_second": 1000}}, false},
		{"page offered, p99 9.9 ms", row{Scenario: "render-rate", PerSecond: 10818, P99ms: 9.9,
			Extra: map[string]float64{"offered_per_second": 10823}}, true},
		{"page offered, p99 10.7 ms", row{Scenario: "render-rate", PerSecond: 10818, P99ms: 10.7,
			Extra: map[string]float64{"offered_per_second": 10823}}, false},
		{"push, 30 KB a socket", row{Scenario: "push", P99ms: 21.9,
			Extra: map[string]float64{"delivered": 19000, "sockets": 19000, "kb_per_socket": 30, "kb_per_socket_second_half": 30}}, true},
		{"push, one socket not paid", row{Scenario: "push", P99ms: 21.9,
			Extra: map[string]float64{"delivered": 18999, "sockets": 19000, "kb_per_socket": 15, "kb_per_socket_second_half": 16}}, false},
		{"push, second half 31 KB a socket", row{Scenario: "push", P99ms: 21.9,
			Extra: map[string]float64{"delivered": 19000, "sockets": 19000, "kb_per_socket": 20, "kb_per_socket_second_half": 31}}, false},
		{"memory 1.25x", row{Scenario: "memory", Extra: map[string]float64{"growth": 1.25}}, true},
		{"memory 1.26x", row{Scenario: "memory", Extra: map[string]float64{"growth": 1.26}}, false},
		{"pg2 1999/s", row{Scenario: "pg2 callback", PerSecond: 1999, N: 10,
			Extra: map[string]float64{"transitions": 10, "paid": 10}}, false},
		{"pg2 push p99 99 ms", row{Scenario: "pg2 push", P99ms: 99, Extra: map[string]float64{"delivered": 500, "sockets": 500}}, true},
		{"pg2 push p99 100 ms", row{Scenario: "pg2 push", P99ms: 100, Extra: map[string]float64{"delivered": 500, "sockets": 500}}, false},
		{"growth 0.80x", row{Scenario: growthName("sqlite", "page", 1_000_000), Ceiling: "growth", Ratio: 0.80}, true},
		{"growth 0.79x", row{Scenario: growthName("sqlite", "page", 1_000_000), Ceiling: "growth", Ratio: 0.79}, false},
	} {
		r := c.r
		if got := judge(&r); got != c.met {
			t.Errorf("%s: met %v, want %v (target %q)", c.name, got, c.met, r.Target)
		}
		if r.Target == "" {
			t.Errorf("%s: no target text", c.name)
		}
	}
}

// TestMediansCountRuns: over three runs the verdict on the medians says
// how many runs met the target on their own figures, and the table prints
// it beside the target's text.
func TestMediansCountRuns(t *testing.T) {
	run := func(page, cb, cpu float64) []row {
		return []row{
			{Scenario: "ceiling-http", PerSecond: 43295},
			{Scenario: "render", PerSecond: page * 43295, Ratio: page, Ceiling: "http", CeilingRate: 43295},
			{Scenario: "callback", PerSecond: cb * 3911, Ratio: cb, Ceiling: "durability", CeilingRate: 3911,
				Extra: map[string]float64{"app_cpu_us_per_op": cpu}},
			{Scenario: "start", PerSecond: 2289},
		}
	}
	// The page's runs at 48, 50 and 48% of their HTTP ceilings; the
	// callbacks' at 1.75x with 196, 118 and 192 µs of app CPU.
	runs := [][]row{run(0.48, 1.75, 196), run(0.50, 1.76, 118), run(0.48, 1.72, 192)}
	med := medians(runs)
	want := map[string]struct {
		met          bool
		runsMet, ran int
		verdict      string
	}{
		"ceiling-http": {true, 0, 0, "-"},
		"render":       {false, 1, 3, "NO (1 of 3 runs)"},
		"callback":     {false, 1, 3, "NO (1 of 3 runs)"},
		"start":        {true, 3, 3, "yes (3 of 3 runs)"},
	}
	if len(med) != len(want) {
		t.Fatalf("%d median rows, want %d", len(med), len(want))
	}
	for _, m := range med {
		w := want[m.Scenario]
		if m.Met != w.met || m.RunsMet != w.runsMet || m.RunsJudged != w.ran || verdict(m) != w.verdict {
			t.Errorf("%s: met %v, %d of %d runs, verdict %q; want %v, %d of %d, %q",
				m.Scenario, m.Met, m.RunsMet, m.RunsJudged, verdict(m), w.met, w.runsMet, w.ran, w.verdict)
		}
	}

	var out bytes.Buffer
	printTable(&out, report{Runs: runs, Median: med})
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "render" {
			if !strings.Contains(line, "NO (1 of 3 runs)") || !strings.Contains(line, ">= 50% of HTTP ceiling") {
				t.Errorf("render line %q: want the verdict with its run count beside the target", line)
			}
			return
		}
	}
	t.Errorf("no render line in\n%s", out.String())
}

// TestPerfSymbolsWarning: -perf with a binary linked with -s -w warns,
// with a binary that has its symbols it does not.
func TestPerfSymbolsWarning(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ldflags string
		warn    bool
	}{{"-ldflags=-s -w", true}, {"-ldflags=", false}} {
		bin := filepath.Join(dir, "bin")
		cmd := exec.Command("go", "build", "-trimpath", c.ldflags, "-o", bin, src)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GO111MODULE=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", c.ldflags, err, out)
		}
		if w := perfSymbolsWarning(bin); (w != "") != c.warn {
			t.Errorf("%s: warning %q, want one: %v", c.ldflags, w, c.warn)
		}
	}
	if w := perfSymbolsWarning(src); w == "" {
		t.Error("a file that is not ELF: no warning")
	}
}

// TestCallbackVerdictSaysWhatMissed: the callback row's target has two
// conditions, and the report names the one (or both) the figures missed,
// with the figure and its bound, in the JSON row and in the printed line.
func TestCallbackVerdictSaysWhatMissed(t *testing.T) {
	cb := func(ratio, cpu float64) row {
		return row{Scenario: "callback", PerSecond: 4000, Ratio: ratio, Ceiling: "durability", CeilingRate: 3000,
			Extra: map[string]float64{"app_cpu_us_per_op": cpu}}
	}
	for _, c := range []struct {
		name    string
		r       row
		want    []string // in Missed and in the printed line
		wantNot []string
		wantMet bool
	}{
		{"both met", cb(1.3, 110), nil, []string{"missed", "ratio", "app CPU"}, true},
		{"app CPU alone", cb(1.3, 188), []string{"app CPU 188 us > 120 us a callback"}, []string{"ratio 1.30x"}, false},
		{"ratio alone", cb(0.96, 110), []string{"ratio 0.96x < 1.2x the durability ceiling"}, []string{"app CPU 110"}, false},
		{"both", cb(0.96, 188), []string{"ratio 0.96x < 1.2x", "app CPU 188 us > 120 us"}, nil, false},
		{"no CPU figure", row{Scenario: "callback", Ratio: 2}, []string{"no app CPU figure"}, []string{"ratio 2"}, false},
	} {
		r := c.r
		if got := judge(&r); got != c.wantMet {
			t.Errorf("%s: met %v, want %v", c.name, got, c.wantMet)
		}
		var out bytes.Buffer
		printTable(&out, report{Runs: [][]row{{r}}, Median: []row{r}})
		var line string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "callback: target") {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("%s: no callback line in\n%s", c.name, out.String())
		}
		for _, w := range c.want {
			if !strings.Contains(r.Missed, w) || !strings.Contains(line, "missed: ") || !strings.Contains(line, w) {
				t.Errorf("%s: missed %q, line %q; want %q in both", c.name, r.Missed, line, w)
			}
		}
		for _, w := range c.wantNot {
			if strings.Contains(r.Missed, w) {
				t.Errorf("%s: missed %q; want no %q", c.name, r.Missed, w)
			}
		}
		if c.wantMet && strings.Contains(line, "missed") {
			t.Errorf("%s: line %q names a miss", c.name, line)
		}
	}

	// On the medians of three runs, the median's own miss is named.
	run := func(ratio, cpu float64) []row { return []row{cb(ratio, cpu)} }
	med := medians([][]row{run(1.5, 196), run(1.4, 118), run(1.6, 192)})
	if len(med) != 1 || med[0].Missed != "app CPU 192 us > 120 us a callback" {
		t.Errorf("medians: %+v; want the app CPU named as missed", med)
	}
}
