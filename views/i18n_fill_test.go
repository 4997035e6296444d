package views

import "testing"

// TestLocalizerFastPathsMatchTemplates checks that the memoised and
// filled-in messages (NewCatalog) read exactly as go-i18n renders them.
func TestLocalizerFastPathsMatchTemplates(t *testing.T) {
	fast, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	slow, err := newCatalog(false) // no memo: every T goes through go-i18n
	if err != nil {
		t.Fatal(err)
	}
	argSets := [][]any{nil, {"Bench Shop"}, {"12.50", "4.10", "NZD"}, {3, "x"}}
	for _, tag := range Languages() {
		ids := append(fast.IDs(tag), "no.such.message")
		for _, id := range ids {
			for _, args := range argSets {
				got, want := fast.Localizer(tag).T(id, args...), slow.Localizer(tag).T(id, args...)
				if got != want {
					t.Errorf("%s T(%q, %v) = %q, want %q", tag, id, args, got, want)
				}
			}
		}
	}
}

func TestParseFill(t *testing.T) {
	for _, tc := range []struct {
		src  string
		ok   bool
		args int
	}{
		{"plain", true, 0},
		{"Pay {{.P1}}", true, 1},
		{"{{.P3}} and {{.P1}}", true, 3},
		{"{{ .P1 }}", false, 0},
		{"{{.P01}}", false, 0},
		{"{{.P0}}", false, 0},
		{"{{if .P1}}x{{end}}", false, 0},
		{"stray }}", false, 0},
	} {
		f, ok := parseFill(tc.src)
		if ok != tc.ok || (ok && f.args != tc.args) {
			t.Errorf("parseFill(%q) = %+v, %v; want args %d, %v", tc.src, f, ok, tc.args, tc.ok)
		}
	}
}
