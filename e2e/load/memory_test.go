package main

import "testing"

// TestMemorySizes: the database doubles from the base at each phase, and
// growth compares the last phase's RSS with the first's.
func TestMemorySizes(t *testing.T) {
	got := memorySizes(5000)
	want := []int{5000, 10000, 20000, 40000}
	if len(got) != len(want) {
		t.Fatalf("memorySizes(5000) = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("memorySizes(5000) = %v, want %v", got, want)
		}
	}
	if g := memoryGrowth([]int64{100, 300, 120}); g != 1.2 {
		t.Errorf("growth = %v, want 1.2 (last over first)", g)
	}
	if g := memoryGrowth([]int64{100}); g != 0 {
		t.Errorf("growth of one phase = %v, want 0 (nothing to compare)", g)
	}
	r := row{Scenario: "memory", Extra: map[string]float64{"growth": 1.3}}
	if judge(&r) {
		t.Error("growth 1.3 judged bounded")
	}
	r.Extra["growth"] = 1.1
	if !judge(&r) {
		t.Error("growth 1.1 judged unbounded")
	}
}
