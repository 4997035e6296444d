package latipaysim

import "testing"

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"120.00", 12000, true},
		{"0.01", 1, true},
		{"0.00", 0, true},
		{"999999999999.99", 99999999999999, true},
		{"120", 0, false},
		{"1,00", 0, false},
		{"1e2", 0, false},
		{"+1.00", 0, false},
		{"-1.00", 0, false},
		{"0.001", 0, false},
		{"01.00", 0, false},
		{" 1.00", 0, false},
		{"1.00\n", 0, false},
		{"１２０.00", 0, false},
		{"NaN", 0, false},
		{"1000000000000.00", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseAmount(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseAmount(%q) = %d, %v, want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAmountCNY(t *testing.T) {
	s := &Simulator{}
	var err error
	if s.rate, err = parseRate("4.64490"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cents    int64
		currency string
		want     string
	}{
		{1250, "NZD", "58.06"}, // 58.06125
		{1, "NZD", "0.05"},     // 0.046449
		{100, "AUD", "4.64"},   // 4.6449
		{1250, "CNY", "12.50"},
		{99999999999999, "NZD", "4644899999999.95"}, // 4644899999999.953551
	}
	for _, tt := range tests {
		if got := s.amountCNY(tt.cents, tt.currency); got != tt.want {
			t.Errorf("amountCNY(%d, %s) = %s, want %s", tt.cents, tt.currency, got, tt.want)
		}
	}
	if got := s.cnyRate("CNY"); got != "1.00000" {
		t.Errorf("cnyRate(CNY) = %s, want 1.00000", got)
	}
	for _, bad := range []string{"", "0", "0.000", "-1", "1e3", "4,5", "abc"} {
		if _, err := parseRate(bad); err == nil {
			t.Errorf("parseRate(%q) succeeded, want error", bad)
		}
	}
}
