package payments_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestMarkReviewed: a payment paid after its cancel (paid late, under
// review) is marked reviewed with a note: a payment.reviewed event with
// who and the note, its status, money and flags unchanged, off what
// needs attention. A blank or too long note, a payment with nothing to
// review and a second review are refused. A later anomaly flags it anew.
func TestMarkReviewed(t *testing.T) {
	env, gw := newCancelEnv(t)
	ctx := context.Background()
	p, st := startCancelable(t, env, "ORDER-REVIEW")
	gw.cancel, gw.query = unreachable, noAnswer
	if _, err := env.Svc.Cancel(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	ref := st.Attempt.Reference
	if err := env.Svc.HandleNotification(ctx, paymentstest.Notification(ref, "wechat", "paid", "NZD", "12.50")); err != nil {
		t.Fatal(err)
	}
	before := env.MustGet(t, p.ID)
	if !before.Flagged() {
		t.Fatalf("paid after cancel: %+v; want flagged", before)
	}
	for _, note := range []string{"", "   ", strings.Repeat("x", payments.MaxReviewNoteLen+1)} {
		if _, err := env.Svc.MarkReviewed(ctx, p.ID, "owner@shop.example", note); !errors.Is(err, payments.ErrInvalid) {
			t.Errorf("MarkReviewed(note %q) = %v, want ErrInvalid", note, err)
		}
	}
	got, err := env.Svc.MarkReviewed(ctx, p.ID, "owner@shop.example", " checked the order ")
	if err != nil {
		t.Fatal(err)
	}
	if got.ReviewedAt.IsZero() || got.Flagged() || got.Status != before.Status || got.Refunded != before.Refunded ||
		!got.PaidLate || !got.NeedsReview {
		t.Errorf("reviewed: %+v; want reviewed, status, money and flags unchanged", got)
	}
	evs := env.MustEvents(t, p.ID)
	m, ok := payments.EventMessage(evs[len(evs)-1])
	if !ok || m.Code != payments.MsgReviewed || m.By != "owner@shop.example" || m.Note != "checked the order" {
		t.Errorf("last event says %+v; want reviewed by the owner with the note", m)
	}
	if _, err := env.Svc.MarkReviewed(ctx, p.ID, "owner@shop.example", "again"); !errors.Is(err, payments.ErrNotFlagged) {
		t.Errorf("second review = %v, want ErrNotFlagged", err)
	}
	clean := env.MustCreate(t, paymentstest.Input("ORDER-CLEAN"))
	if _, err := env.Svc.MarkReviewed(ctx, clean.ID, "owner@shop.example", "nothing"); !errors.Is(err, payments.ErrNotFlagged) {
		t.Errorf("review of an unflagged payment = %v, want ErrNotFlagged", err)
	}
	// Latipay now says the order failed after it was paid: a new anomaly.
	if err := env.Svc.HandleNotification(ctx, paymentstest.Notification(ref, "wechat", "failed", "NZD", "12.50")); err != nil {
		t.Fatal(err)
	}
	if again := env.MustGet(t, p.ID); !again.Flagged() || !again.ReviewedAt.IsZero() {
		t.Errorf("after a new anomaly: reviewed at %v; want flagged anew", again.ReviewedAt)
	}
}
