package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/views"
)

// TestCheckoutLatipayUnreachable: a shopper whose wallet choice could not
// reach Latipay reads that nothing was charged and to try again, not the
// counter's "scan again" meant for a cashier; the counter keeps its own
// words (TestCounterScan).
func TestCheckoutLatipayUnreachable(t *testing.T) {
	a := newTestApp(t)
	p := a.mustCreate(t, createBody)
	a.StopSim()
	w := a.start(t, p.ID, "wechat", desktopUA)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("start with Latipay unreachable = %d, want 303 back to the checkout page", w.Code)
	}
	w = a.do(t, "GET", w.Header().Get("Location"), nil, nil)
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	text := mustDoc(t, w).Text()
	if want := c.Localizer(views.LangEnglish).T("error.unreached"); !strings.Contains(text, want) {
		t.Errorf("the shopper's page does not say %q", want)
	}
	if strings.Contains(strings.ToLower(text), "scan again") {
		t.Errorf("the shopper's page tells them to scan again, the cashier's words")
	}
}
