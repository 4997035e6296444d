package views

import (
	"context"
	"testing"
)

// TestCounterTopSpacing: the counter's header names the device and the
// cashier apart ("Phone 390 · Demo owner"): templ drops the space before
// text that follows an @ call on its own line.
func TestCounterTopSpacing(t *testing.T) {
	ctx := WithLocalizer(context.Background(), mustCatalog(t).Localizer(LangEnglish))
	doc := renderDoc(t, ctx, "counter top", counterTop(Page{MerchantName: "Demo Shop"}, "Phone 390", "Demo owner"))
	if got := doc.Find(`[data-testid="counter-who"]`).Text(); got != "Phone 390 · Demo owner" {
		t.Errorf("counter header reads %q, want %q", got, "Phone 390 · Demo owner")
	}
}
