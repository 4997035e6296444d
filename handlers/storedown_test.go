package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
)

// refusingStore is the payments store refusing its writes with err once
// allow more have gone through: as a full disk (payments.ErrStoreWrite)
// or a database out of reach refuses them, at any step of a request.
// Reads still answer; a nil err refuses nothing.
type refusingStore struct {
	payments.Store
	mu    sync.Mutex
	err   error
	allow int
}

func (s *refusingStore) set(err error, allow int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err, s.allow = err, allow
}

func (s *refusingStore) refused() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return nil
	}
	if s.allow > 0 {
		s.allow--
		return nil
	}
	return s.err
}

func (s *refusingStore) CreatePayment(ctx context.Context, p payments.Payment, ev payments.Event, idem payments.Idempotency) (payments.Payment, bool, error) {
	if err := s.refused(); err != nil {
		return payments.Payment{}, false, err
	}
	return s.Store.CreatePayment(ctx, p, ev, idem)
}

// Update refuses with the payment as stored, as the SQLite store answers
// a write whose commit failed.
func (s *refusingStore) Update(ctx context.Context, id string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	if err := s.refused(); err != nil {
		p, _ := s.Store.Payment(ctx, id)
		return p, err
	}
	return s.Store.Update(ctx, id, fn)
}

// errOutOfReach stands for a driver's error when the database cannot be
// reached (storage.Unreachable in the running app).
var errOutOfReach = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

// TestStoreRefusalsSayRetryAfter: every route that writes a payment (the
// API's create, cancel and refund; a shopper choosing a wallet; a signed
// /pay link and a stored /l/ link opening a payment; the back office's
// cancel and refund; a counter sale) answers 503 with Retry-After in
// whole seconds when the database refuses one of its writes, the first,
// or one after Latipay was asked (a checkout start records the attempt
// Latipay made), whether the disk is full (storage_unavailable) or the
// database cannot be reached (database_unavailable): a client, a proxy or
// a shopper's retry knows when to try again.
func TestStoreRefusalsSayRetryAfter(t *testing.T) {
	var store *refusingStore
	a := newAdminApp(t, adminAppOptions{
		wrapStore:   func(s payments.Store) payments.Store { store = &refusingStore{Store: s}; return store },
		unreachable: func(err error) bool { return errors.Is(err, errOutOfReach) },
	})
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	link, err := a.links.Create(t.Context(), payments.LinkInput{Currency: "NZD", Amount: "2.00"})
	if err != nil {
		t.Fatal(err)
	}
	dev := a.readyDevice(t)
	ownerForm := func() http.Header { return withCookie(owner, formHeader.Clone()) }

	n := 0
	// Each route prepares what it needs with every write allowed (setup),
	// then makes its request (do) with the refusal in place.
	routes := []struct {
		name string
		do   func() func() *http.Response
	}{
		{"API create", func() func() *http.Response {
			body := strings.Replace(createBody, "ORDER-1", fmt.Sprintf("DOWN-%d", n), 1)
			return func() *http.Response { return a.api(t, http.MethodPost, "/api/v1/payments", body, nil).Result() }
		}},
		{"API cancel", func() func() *http.Response {
			p := a.mustCreate(t, createBody)
			return func() *http.Response {
				return a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/cancel", "", nil).Result()
			}
		}},
		{"API refund", func() func() *http.Response {
			p := a.mustPaid(t)
			return func() *http.Response {
				return a.api(t, http.MethodPost, "/api/v1/payments/"+p.ID+"/refunds", `{"amount":"1.00","reason":"damaged"}`, nil).Result()
			}
		}},
		{"checkout: the shopper chooses a wallet", func() func() *http.Response {
			p := a.mustCreate(t, createBody)
			return func() *http.Response {
				return a.do(t, http.MethodPost, "/checkout/"+p.ID+"/start", strings.NewReader("method=wechat"), formHeader.Clone()).Result()
			}
		}},
		{"signed /pay link", func() func() *http.Response {
			path := signedLink(linkQuery(fmt.Sprintf("DOWN-LINK-%d", n), "3.00"))
			return func() *http.Response { return a.do(t, http.MethodGet, path, nil, nil).Result() }
		}},
		{"stored payment link", func() func() *http.Response {
			key := mustDoc(t, a.do(t, http.MethodGet, "/l/"+link.ID, nil, nil)).Find(`input[name="key"]`).AttrOr("value", "")
			body := url.Values{"key": {key}}.Encode()
			return func() *http.Response {
				return a.do(t, http.MethodPost, "/l/"+link.ID, strings.NewReader(body), formHeader.Clone()).Result()
			}
		}},
		{"back office cancel", func() func() *http.Response {
			p := a.mustCreate(t, createBody)
			return func() *http.Response {
				return a.do(t, http.MethodPost, "/admin/payments/"+p.ID+"/cancel", nil, ownerForm()).Result()
			}
		}},
		{"back office refund", func() func() *http.Response {
			p := a.mustPaid(t)
			body := url.Values{"amount": {"1.00"}, "reason": {"damaged"}, "password": {adminPW},
				"key": {fmt.Sprintf("down-refund-%d", n)}}.Encode()
			return func() *http.Response {
				return a.do(t, http.MethodPost, "/admin/payments/"+p.ID+"/refund", strings.NewReader(body), ownerForm()).Result()
			}
		}},
		{"counter sale", func() func() *http.Response {
			key := fmt.Sprintf("down-sale-key-%011d", n)
			return func() *http.Response { return a.charge(t, dev, key, "4.00", "wechat").Result() }
		}},
	}
	for _, refusal := range []struct {
		err  error
		code string
	}{
		{fmt.Errorf("update: commit: %w", payments.ErrStoreWrite), "storage_unavailable"},
		{fmt.Errorf("update: %w", errOutOfReach), "database_unavailable"},
	} {
		for _, r := range routes {
			// The first write refused, then the second, and so on, until
			// the request needs no more than those allowed.
			for allow := 0; ; allow++ {
				n++
				store.set(nil, 0)
				do := r.do()
				store.set(refusal.err, allow)
				resp := do()
				store.set(nil, 0)
				if resp.StatusCode < 400 {
					if allow == 0 {
						t.Errorf("%s, %s: %d with every write refused", refusal.code, r.name, resp.StatusCode)
					}
					break
				}
				if resp.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("%s, %s, write %d refused: %d, want 503", refusal.code, r.name, allow+1, resp.StatusCode)
				} else if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("%s, %s, write %d refused: 503 with Retry-After %q, want whole seconds",
						refusal.code, r.name, allow+1, resp.Header.Get("Retry-After"))
				}
				if allow == 5 {
					t.Errorf("%s, %s: refused after 5 writes allowed: %d", refusal.code, r.name, resp.StatusCode)
					break
				}
			}
		}
	}
}
