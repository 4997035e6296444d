package payments_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestStartNeverReachedNotQueried: a checkout start whose connection to
// Latipay was refused leaves no order there, so its attempt is an error
// at once, never queried by the reconciler; its event says so in plain
// words, without the Go error chain or the address it dialled.
func TestStartNeverReachedNotQueried(t *testing.T) {
	e := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now: the dial is refused
	svc, _ := scanServiceAt(t, e, "http://"+addr)
	p := e.MustCreate(t, paymentstest.Input("ORDER-UNREACHED"))
	_, err = svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop})
	if !errors.Is(err, payments.ErrGatewayNotReached) {
		t.Fatalf("Start with the connection refused: %v, want ErrGatewayNotReached", err)
	}
	as, err := e.Svc.Attempts(ctx, p.ID)
	if err != nil || len(as) != 1 {
		t.Fatalf("attempts = %+v, %v; want one", as, err)
	}
	if a := as[0]; a.Status != payments.AttemptError || !a.NextCheckAt.IsZero() {
		t.Errorf("attempt = %s, next check %v; want an error no longer queried", a.Status, a.NextCheckAt)
	}
	e.Clock.Advance(time.Minute)
	if n, err := e.Svc.ReconcileDue(ctx, 10); err != nil || n != 0 {
		t.Errorf("ReconcileDue = %d, %v; want nothing to ask Latipay about", n, err)
	}
	var detail string
	var msg payments.Message
	for _, ev := range e.MustEvents(t, p.ID) {
		if ev.Type == "attempt.error" {
			detail = ev.Detail
			msg, _ = payments.EventMessage(ev)
		}
	}
	// The back office says it in the reader's language from the kind.
	if msg.Failure != payments.FailureNotReached || msg.Error != "" {
		t.Errorf("attempt.error message = %+v, want the kind %q and no error text", msg, payments.FailureNotReached)
	}
	if !strings.Contains(detail, "Latipay could not be reached") {
		t.Errorf("attempt.error detail = %q, want it to say Latipay could not be reached", detail)
	}
	for _, leak := range []string{addr, "dial", "payments:", "latipay:", "connection refused"} {
		if strings.Contains(detail, leak) {
			t.Errorf("attempt.error detail %q shows %q", detail, leak)
		}
	}
}
