package views

import (
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// TestTextAndTr: @text and @tr write what templ's { s } and
// { t(ctx, id, args...) } write.
func TestTextAndTr(t *testing.T) {
	cat, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithLocalizer(context.Background(), cat.Localizer(LangSimplifiedChinese))
	render := func(c templ.Component) string {
		var b strings.Builder
		if err := c.Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, s := range []string{"", "Flat white & a <muffin>", `"quoted" 'single'`, "简体中文"} {
		if got, want := render(text(s)), templ.EscapeString(s); got != want {
			t.Errorf("text(%q) wrote %q, want %q", s, got, want)
		}
	}
	for _, tc := range []struct {
		id   string
		args []any
	}{{"checkout.amount", nil}, {"back", []any{"A & B <Shop>"}}, {"checkout.cny", []any{"56.25", "1 NZD = 4.5 CNY"}}, {"no.such.id", nil}} {
		want := templ.EscapeString(localizer(ctx).T(tc.id, tc.args...))
		if got := render(tr(tc.id, tc.args...)); got != want {
			t.Errorf("tr(%q, %v) wrote %q, want %q", tc.id, tc.args, got, want)
		}
	}
}
