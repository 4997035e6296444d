package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("10k, 100k,1M")
	if err != nil || !reflect.DeepEqual(got, []int{10_000, 100_000, 1_000_000}) {
		t.Fatalf("parseSizes = %v, %v", got, err)
	}
	for _, bad := range []string{"", "10k,10k", "100k,10k", "-5", "ten"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) = nil error, want one", bad)
		}
	}
	if l := sizeLabel(1_000_000) + " " + sizeLabel(100_000) + " " + sizeLabel(1500); l != "1M 100k 1500" {
		t.Errorf("labels %q", l)
	}
}

// TestGrowthJudge: each row is compared with the same operation at the
// smallest size of the same store, and judged on that ratio.
func TestGrowthJudge(t *testing.T) {
	sizes := []int{10_000, 1_000_000}
	rows := []row{
		{Scenario: growthName("sqlite", "page", 10_000), PerSecond: 1000},
		{Scenario: growthName("sqlite", "create", 10_000), PerSecond: 4000},
		{Scenario: growthName("sqlite", "memory", 10_000), RSSMB: 100},
		{Scenario: growthName("sqlite", "page", 1_000_000), PerSecond: 850},
		{Scenario: growthName("sqlite", "create", 1_000_000), PerSecond: 3000},
		{Scenario: growthName("sqlite", "memory", 1_000_000), RSSMB: 130},
		{Scenario: growthName("postgres", "page", 1_000_000), PerSecond: 1},
	}
	withBaseline(rows, "sqlite", sizes)
	want := []struct {
		ratio float64
		met   bool
	}{{0, true}, {0, true}, {0, true}, {0.85, true}, {0.75, false}, {1.3, false}, {0, true}}
	for i, w := range want {
		r := rows[i]
		met := judge(&r)
		if r.Ratio != w.ratio || met != w.met {
			t.Errorf("%s: ratio %.2f met %v, want %.2f %v", r.Scenario, r.Ratio, met, w.ratio, w.met)
		}
	}
	if rows[3].CeilingRate != 1000 {
		t.Errorf("page 1M compared with %v, want the 10k rate 1000", rows[3].CeilingRate)
	}
}

// TestPG2Judge: the two-instance callback row needs the rate and exactly
// one transition per answered callback.
func TestPG2Judge(t *testing.T) {
	ok := row{Scenario: "pg2 callback", PerSecond: 2100, N: 20000,
		Extra: map[string]float64{"transitions": 20000, "paid": 20000, "extra_transitions": 0}}
	for _, c := range []struct {
		name string
		edit func(r *row)
		met  bool
	}{
		{"met", func(r *row) {}, true},
		{"slow", func(r *row) { r.PerSecond = 1999 }, false},
		{"a second transition", func(r *row) { r.Extra["transitions"], r.Extra["extra_transitions"] = 20001, 1 }, false},
		{"an answered callback not paid", func(r *row) { r.Extra["transitions"], r.Extra["paid"] = 19999, 19999 }, false},
	} {
		r := ok
		r.Extra = map[string]float64{}
		for k, v := range ok.Extra {
			r.Extra[k] = v
		}
		c.edit(&r)
		if got := judge(&r); got != c.met {
			t.Errorf("%s: met %v, want %v", c.name, got, c.met)
		}
	}
}

// TestGrowRuns: with -runs 3 the database is seeded once, in steps, and
// copied at each size but the largest before anything is measured; then
// the sizes are measured interleaved, smallest first in the first and
// third measurements and largest first in the second; each size's count
// of payments grows by what its own earlier measurements created; the
// k-th measurement of every size goes to the k-th run, smallest size
// first; and run 1's harness hands runs 2 and 3 their rows (withLater).
func TestGrowRuns(t *testing.T) {
	sizes := []int{1000, 2000, 5000}
	var steps []string
	seed := func(from, to int) error { steps = append(steps, fmt.Sprintf("seed %d-%d", from, to)); return nil }
	snapshot := func(i int) error { steps = append(steps, fmt.Sprintf("keep %d", sizes[i])); return nil }
	measure := func(i, rep, payments int) ([]row, int, error) {
		steps = append(steps, fmt.Sprintf("%d#%d@%d", sizes[i], rep, payments))
		return []row{{Scenario: growthName("sqlite", "page", sizes[i]), PerSecond: float64(100 * (rep + 1))}}, 300, nil
	}
	runs, err := growRuns(sizes, 3, seed, snapshot, measure)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"seed 0-1000", "keep 1000", "seed 1000-2000", "keep 2000", "seed 2000-5000", "keep 5000",
		"1000#0@1000", "2000#0@2000", "5000#0@5000",
		"5000#1@5300", "2000#1@2300", "1000#1@1300",
		"1000#2@1600", "2000#2@2600", "5000#2@5600"}
	if !reflect.DeepEqual(steps, want) {
		t.Errorf("steps %v,\nwant %v", steps, want)
	}
	if len(runs) != 3 {
		t.Fatalf("%d runs of rows, want 3", len(runs))
	}
	for k, rs := range runs {
		if len(rs) != len(sizes) {
			t.Fatalf("run %d: %d rows, want one per size", k, len(rs))
		}
		for i, r := range rs {
			if r.PerSecond != float64(100*(k+1)) || r.Scenario != growthName("sqlite", "page", sizes[i]) {
				t.Errorf("run %d row %d = %s %v: not measurement %d of that size", k, i, r.Scenario, r.PerSecond, k+1)
			}
			if r.Extra["payments"] != float64(sizes[i]+300*k) {
				t.Errorf("run %d %s: payments %v", k, r.Scenario, r.Extra["payments"])
			}
			if _, ok := r.Extra["seeded_per_second"]; ok != (k == 0) {
				t.Errorf("run %d %s: seeded_per_second present %v, want it in the first measurement only", k, r.Scenario, ok)
			}
		}
	}
	base := []row{{Scenario: "render"}}
	if got := withLater(base, runs[1:], 0); len(got) != 1 {
		t.Errorf("run 1 got %d rows from later, want its own only", len(got))
	}
	if got := withLater(base, runs[1:], 2); len(got) != 4 || got[1].PerSecond != 300 {
		t.Errorf("run 3 got %v, want its own row and the third measurements", got)
	}
	// The medians of the three runs are the median measurement per size.
	all := [][]row{append([]row{}, runs[0]...), withLater(nil, runs[1:], 1), withLater(nil, runs[1:], 2)}
	for _, m := range medians(all) {
		if m.PerSecond != 200 {
			t.Errorf("%s: median %v, want 200", m.Scenario, m.PerSecond)
		}
	}
}

// TestGrowRunsStopsAtAFailedCopy: a size that could not be kept is not
// measured, and nothing after it is seeded.
func TestGrowRunsStopsAtAFailedCopy(t *testing.T) {
	var steps []string
	seed := func(from, to int) error { steps = append(steps, fmt.Sprintf("seed %d-%d", from, to)); return nil }
	snapshot := func(i int) error {
		if i == 0 {
			return fmt.Errorf("disk full")
		}
		return nil
	}
	measure := func(i, rep, payments int) ([]row, int, error) {
		steps = append(steps, "measure")
		return nil, 0, nil
	}
	if _, err := growRuns([]int{1000, 2000}, 1, seed, snapshot, measure); err == nil {
		t.Fatal("growRuns = nil error, want the copy's")
	}
	if want := []string{"seed 0-1000"}; !reflect.DeepEqual(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
}

// TestCopyDB: the copy of a closed SQLite file (and of a WAL left beside
// it) has the same bytes; an existing copy is not overwritten.
func TestCopyDB(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	if err := os.WriteFile(src, []byte("main file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src+"-wal", []byte("wal"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := copyDB(src, dst); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		a, _ := os.ReadFile(src + suffix)
		b, err := os.ReadFile(dst + suffix)
		if err != nil || string(a) != string(b) {
			t.Errorf("copy%s = %q, %v; want %q", suffix, b, err, a)
		}
	}
	if err := copyDB(src, dst); err == nil {
		t.Error("copying over an existing copy: nil error")
	}
}

// TestGrowthJudgesTheLargestSizeOnly: with 10k, 100k and 1M, the target
// is each rate at 1M within 20% of its rate at 10k: the 1M rows are
// judged, the 100k rows are shown in the table with their ratios (a page
// at 0.70 there is no miss) and no verdict, and a 1M row under 0.8 is.
func TestGrowthJudgesTheLargestSizeOnly(t *testing.T) {
	sizes := []int{10_000, 100_000, 1_000_000}
	rows := []row{
		{Scenario: growthName("sqlite", "page", 10_000), PerSecond: 1000},
		{Scenario: growthName("sqlite", "memory", 10_000), RSSMB: 100},
		{Scenario: growthName("sqlite", "page", 100_000), PerSecond: 700},
		{Scenario: growthName("sqlite", "memory", 100_000), RSSMB: 130},
		{Scenario: growthName("sqlite", "page", 1_000_000), PerSecond: 850},
		{Scenario: growthName("sqlite", "memory", 1_000_000), RSSMB: 110},
	}
	withBaseline(rows, "sqlite", sizes)
	for i := range rows {
		rows[i].Met = judge(&rows[i])
	}
	want := []struct {
		ratio   float64
		verdict string
	}{{0, "-"}, {0, "-"}, {0.70, "-"}, {1.3, "-"}, {0.85, "yes"}, {1.1, "yes"}}
	for i, w := range want {
		r := rows[i]
		if r.Ratio != w.ratio || verdict(r) != w.verdict {
			t.Errorf("%s: ratio %.2f, verdict %q (target %q); want %.2f, %q", r.Scenario, r.Ratio, verdict(r), r.Target, w.ratio, w.verdict)
		}
	}
	var out bytes.Buffer
	printTable(&out, report{Runs: [][]row{rows}, Median: rows})
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.Join(f[:min(4, len(f))], " ") == "growth sqlite page 100k" &&
			!strings.Contains(line, "70%") {
			t.Errorf("the 100k row does not show its ratio: %q", line)
		}
	}
	if !strings.Contains(out.String(), "growth sqlite page 100k") {
		t.Errorf("the table has no 100k row:\n%s", out.String())
	}
	rows[4].PerSecond = 790 // 1M at 0.79 of 10k: a miss
	withBaseline(rows, "sqlite", sizes)
	if r := rows[4]; judge(&r) {
		t.Errorf("1M at %.2f of 10k met the target %q", r.Ratio, r.Target)
	}
}
