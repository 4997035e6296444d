package handlers

import "testing"

// TestCSVCell: every cell a spreadsheet would run as a formula gets an
// apostrophe first; a plain negative amount stays a number.
func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"-12.50":           "-12.50",
		"-3":               "-3",
		"12.50":            "12.50",
		"":                 "",
		"-":                "'-",
		"-12.":             "'-12.",
		"-.5":              "'-.5",
		"-1.2.3":           "'-1.2.3",
		"-1+2":             "'-1+2",
		"-12.50+cmd|' /C'": "'-12.50+cmd|' /C'",
		"-SUM(A1)":         "'-SUM(A1)",
		"=1+1":             "'=1+1",
		"+1":               "'+1",
		"@SUM(A1)":         "'@SUM(A1)",
		"\t=1":             "'\t=1",
		"\r=1":             "'\r=1",
		"café":             "café",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}
