package main

import (
	"fmt"
	"reflect"
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

// TestSeedPlan: each size seeds only what the database lacks, counting
// the payments measuring the earlier sizes created, and never un-seeds.
func TestSeedPlan(t *testing.T) {
	sizes := []int{10_000, 100_000, 1_000_000}
	got := seedPlan(sizes, []int{3_000, 5_000})
	want := [][2]int{{0, 10_000}, {10_000, 97_000}, {97_000, 992_000}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seedPlan = %v, want %v", got, want)
	}
	// Measuring created more than the next step needs: nothing to seed.
	got = seedPlan([]int{1000, 2000}, []int{1500})
	if want := [][2]int{{0, 1000}, {1000, 1000}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("seedPlan = %v, want %v", got, want)
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

// TestGrowRuns: with -runs 3 each size is seeded once and measured three
// times there; the seeding counts every measurement's payments; the k-th
// measurement of every size goes to the k-th run; and run 1's harness
// hands runs 2 and 3 their rows (withLater).
func TestGrowRuns(t *testing.T) {
	sizes := []int{1000, 2000, 5000}
	var seeds [][2]int
	var measured []string
	seed := func(from, to int) error { seeds = append(seeds, [2]int{from, to}); return nil }
	measure := func(size, rep, payments int) ([]row, int, error) {
		measured = append(measured, fmt.Sprintf("%d#%d@%d", size, rep, payments))
		return []row{{Scenario: growthName("sqlite", "page", size), PerSecond: float64(100 * (rep + 1))}}, 300, nil
	}
	runs, err := growRuns(sizes, 3, seed, measure)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{0, 1000}, {1000, 1100}, {1100, 3200}}; !reflect.DeepEqual(seeds, want) {
		t.Errorf("seeded %v, want %v (each size once, counting the 900 payments each size's measurements made)", seeds, want)
	}
	want := []string{"1000#0@1000", "1000#1@1300", "1000#2@1600", "2000#0@2000", "2000#1@2300", "2000#2@2600",
		"5000#0@5000", "5000#1@5300", "5000#2@5600"}
	if !reflect.DeepEqual(measured, want) {
		t.Errorf("measured %v, want %v", measured, want)
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
