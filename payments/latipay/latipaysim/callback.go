package latipaysim

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// callback is the immutable content of one transaction's notification (package latipay, Notifications and return redirects).
type callback struct {
	url      string
	ref      string
	merchant *Merchant
	fields   url.Values // everything except signature
}

// startCallback starts delivering t's notification in its own goroutine,
// unless the simulator is closed.
func (s *Simulator) startCallback(t *txn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || t.CallbackURL == "" { // a barcode transaction has none
		return
	}
	payTime := t.completedAt
	cb := callback{url: t.CallbackURL, ref: t.MerchantReference, merchant: t.merchant, fields: url.Values{
		"merchant_reference": {t.MerchantReference},
		"order_id":           {t.OrderID},
		"currency":           {t.Currency},
		"amount":             {t.Amount},
		"payment_method":     {t.PaymentMethod},
		"status":             {t.Status},
		"pay_time":           {payTime.In(chinaTime).Format(time.DateTime)},
		"amount_cny":         {s.amountCNY(t.cents, t.Currency)},
		"rate":               {s.cnyRate(t.Currency)},
	}}
	s.wg.Add(1)
	go s.deliver(cb)
}

// deliver posts cb until the merchant acknowledges it or the simulator is
// closed, waiting CallbackInterval between attempts (Latipay: about every 30 s,
// no limit). Faults are read at each attempt.
func (s *Simulator) deliver(cb callback) {
	defer s.wg.Done()
	timer := time.NewTimer(0) // the first attempt goes out at once
	defer timer.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-timer.C:
		}
		if s.attempt(cb) {
			return
		}
		timer.Reset(s.interval)
	}
}

// attempt sends cb once (twice under DuplicateCallbacks), records the
// outcome, and reports whether it was acknowledged.
func (s *Simulator) attempt(cb callback) bool {
	f := s.Faults()
	if f.DropCallbacks {
		return false
	}
	form := url.Values{}
	for k, v := range cb.fields {
		form[k] = v
	}
	f0 := cb.fields.Get
	form.Set("signature", signResult(s.responseKey(cb.merchant),
		f0("merchant_reference"), f0("payment_method"), f0("status"), f0("currency"), f0("amount")))
	body := form.Encode()
	n := 1
	if f.DuplicateCallbacks {
		n = 2
	}
	acks := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { acks[i] = s.post(cb, body) })
	}
	wg.Wait()
	acked := acks[0] || acks[n-1]
	// Counted on the stored transaction as it is now: another simulator
	// sharing the journal may have refunded it since.
	if _, err := s.change(context.Background(), cb.ref, func(t *txn) (bool, error) {
		t.CallbackAttempts += n
		t.CallbacksAcked = t.CallbacksAcked || acked
		return true, nil
	}); err != nil {
		s.log.Error("latipaysim: record a callback attempt", "merchant_reference", cb.ref, "err", err)
	}
	return acked
}

// post sends one notification and reports whether the answer was HTTP 200
// with a body of exactly "sent".
func (s *Simulator) post(cb callback, body string) bool {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, cb.url, strings.NewReader(body))
	if err != nil {
		s.log.Warn("latipaysim: callback request", "merchant_reference", cb.ref, "err", err)
		return false
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Info("latipaysim: callback failed", "merchant_reference", cb.ref, "err", err)
		}
		return false
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // let the connection be reused
	ok := resp.StatusCode == http.StatusOK && string(got) == "sent"
	s.log.Info("latipaysim: callback", "merchant_reference", cb.ref, "http_status", resp.StatusCode, "acked", ok)
	return ok
}
