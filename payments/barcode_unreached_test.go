package payments_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// scanServiceAt is the payments service over e's store whose Latipay is
// at baseURL (the real client and gateway), and a counter-scan payment.
func scanServiceAt(t *testing.T, e *paymentstest.Env, baseURL string) (*payments.Service, payments.Payment) {
	t.Helper()
	c, err := latipay.New(latipay.Config{BaseURL: baseURL, UserID: paymentstest.UserID, APIKey: paymentstest.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := latipay.NewGateway(c, map[string]string{"NZD": paymentstest.WalletNZD})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := payments.NewService(e.Store, gw, e.Hub, e.Log, e.Clock.Now, rand.Reader, payments.Options{
		CallbackURL: e.AppURL + paymentstest.CallbackPath, ReturnURLFor: func(id string) string { return e.AppURL + "/r/" + id },
		CheckoutURLFor: func(id string) string { return e.AppURL + "/checkout/" + id }})
	if err != nil {
		t.Fatal(err)
	}
	in := paymentstest.Input("counter-unreached")
	in.Source = payments.SourceCounterScan
	p, _, err := svc.Create(context.Background(), in, "")
	if err != nil {
		t.Fatal(err)
	}
	return svc, p
}

// TestStartBarcodeNeverReached: a barcode call whose connection was
// refused (a closed port: nothing of the request was written) ends the
// sale at once: ErrGatewayNotReached (a clear message at the counter),
// the payment failed, the attempt no longer queried. A call whose
// connection broke after the request was written keeps today's rule:
// no error, pending, and the reconciler asks Latipay.
func TestStartBarcodeNeverReached(t *testing.T) {
	e := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close() // nothing listens here now: the dial is refused

	svc, p := scanServiceAt(t, e, closed)
	st, err := svc.StartBarcode(ctx, p.ID, codePaid)
	if !errors.Is(err, payments.ErrGatewayNotReached) || !errors.Is(err, payments.ErrGatewayUnavailable) {
		t.Fatalf("StartBarcode with the connection refused: %v, want ErrGatewayNotReached", err)
	}
	got := e.MustGet(t, p.ID)
	a, aerr := e.Store.Attempt(ctx, st.Attempt.Reference)
	if got.Status != payments.StatusFailed || aerr != nil || a.Status != payments.AttemptError || !a.NextCheckAt.IsZero() {
		t.Errorf("payment %s, attempt %+v (%v); want failed, the attempt an error no longer queried", got.Status, a, aerr)
	}

	// The request is written, then the connection drops: unknown.
	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(hangUp.Close)
	svc, p = scanServiceAt(t, e, hangUp.URL)
	st, err = svc.StartBarcode(ctx, p.ID, codePaid)
	if err != nil || errors.Is(err, payments.ErrGatewayNotReached) {
		t.Fatalf("StartBarcode with the answer lost: %v, want nil (outcome unknown)", err)
	}
	if st.Payment.Status != payments.StatusPending || st.Attempt.Status != payments.AttemptInitiated {
		t.Errorf("after a lost answer: payment %s, attempt %s; want pending, initiated", st.Payment.Status, st.Attempt.Status)
	}
}
