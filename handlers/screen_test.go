package handlers

import (
	"slices"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// TestScreenForEveryStatus: every status the domain knows has a checkout
// screen of its own choosing, and every screen is one the views draw. A
// status added to payments.Statuses without a case in screenFor fails.
func TestScreenForEveryStatus(t *testing.T) {
	for _, st := range payments.Statuses {
		sc, ok := screenFor(st)
		if !ok {
			t.Errorf("status %q has no checkout screen: add it to screenFor", st)
		}
		if !slices.Contains(views.Screens, sc) {
			t.Errorf("status %q maps to %q, which is not in views.Screens", st, sc)
		}
	}
	if sc, _ := screenFor(payments.StatusCanceled); sc != views.ScreenCanceled {
		t.Errorf("canceled shows %q, want its own screen, not the expired one", sc)
	}
	if _, ok := screenFor(payments.Status("on_hold")); ok {
		t.Error("an unknown status reports a screen")
	}
}
