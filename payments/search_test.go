package payments

import (
	"slices"
	"testing"
)

// TestSearchWords: only the words with another character on both sides
// inside the text, lower-cased, each once; none for a text beyond ASCII.
func TestSearchWords(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"order 123457:", []string{"123457"}},
		{"Order 12: Flat White x2", []string{"12", "flat", "white"}},
		{"INV-0123457", nil},
		{"123457", nil},
		{"-a-a-", []string{"a"}},
		{"a_b_c", []string{"b"}},
		{" café 100 ", nil},
		{"", nil},
	} {
		if got := SearchWords(c.text); !slices.Equal(got, c.want) {
			t.Errorf("SearchWords(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}
