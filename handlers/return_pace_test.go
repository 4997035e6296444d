package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// paceApp is the real router with the shipped request limits, the wall
// clock, and every Latipay query that reaches the simulator over HTTP
// counted; the instance sends at most rate queries a second.
func paceApp(t *testing.T, rate int) (*TestApp, *paymentstest.QueryLog) {
	t.Helper()
	queries := paymentstest.NewQueryLog()
	env := paymentstest.Options{Now: time.Now, CallbackInterval: 100 * time.Millisecond, Queries: queries,
		Service: payments.Options{QueryRate: rate}}
	return NewTestApp(t, TestAppOptions{Env: env}), queries
}

// from serves method path through a's router as a browser at address ip.
func from(a *TestApp, method, path, ip string, form url.Values) *httptest.ResponseRecorder {
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, a.AppURL+path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", a.AppURL)
	} else {
		r = httptest.NewRequest(method, a.AppURL+path, nil)
	}
	r.RemoteAddr = ip + ":4321"
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	w := httptest.NewRecorder()
	a.H.ServeHTTP(w, r)
	return w
}

// pendingQR creates a payment and starts a WeChat QR on it from ip,
// returning the payment's id and the attempt's reference.
func pendingQR(t *testing.T, a *TestApp, reference, ip string) (string, string) {
	t.Helper()
	p := a.MustCreate(t, paymentstest.Input(reference))
	if w := from(a, http.MethodPost, CheckoutPath(p.ID)+"/start", ip, url.Values{"method": {"wechat"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("start = %d %s", w.Code, w.Body)
	}
	q, err := a.Store.Payment(context.Background(), p.ID)
	if err != nil || q.LatipayReference == "" {
		t.Fatalf("after start: %+v, %v", q, err)
	}
	return p.ID, q.LatipayReference
}

// TestReturnFloodSharesOneQuery: returns from Latipay for one pending
// attempt, flooded from one address and from hundreds, share one Latipay
// query (those within a few seconds of it ask nothing), one address is
// limited (429) past its budget while every single return from an
// address of its own is served, and a return after the shared answer has
// aged asks again and shows the truth.
func TestReturnFloodSharesOneQuery(t *testing.T) {
	a, queries := paceApp(t, payments.DefaultReconcileRate)
	a.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true}) // the return's query alone tells paid
	id, ref := pendingQR(t, a, "ORDER-RETURN-FLOOD", "198.51.100.1")
	ret := ReturnPath(id)

	began := time.Now()
	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 150 {
				switch w := from(a, http.MethodGet, ret, "203.0.113.7", nil); w.Code {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
				default:
					other.Add(1)
					t.Errorf("goroutine %d: return = %d", g, w.Code)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() == 0 || limited.Load() == 0 {
		t.Errorf("one address's 1,200 returns: %d served, %d limited; want both", ok.Load(), limited.Load())
	}
	// Every shopper's single return is served, whoever else returns.
	for i := range 200 {
		wg.Go(func() {
			if w := from(a, http.MethodGet, ret, fmt.Sprintf("192.0.2.%d", i%250+1), nil); w.Code != http.StatusOK {
				t.Errorf("a single return from its own address = %d, want 200", w.Code)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	// One query, and one more for each recentAnswer the flood lasted.
	if n, most := queries.Count("", ref), 1+int(elapsed/(5*time.Second))+1; n > most {
		t.Errorf("%d Latipay queries for 1,400 returns of one attempt in %v, want at most %d", n, elapsed.Round(time.Millisecond), most)
	}

	// Paid at Latipay, its callback lost: once the shared answer has
	// aged, the next return asks again and shows it paid.
	if err := a.Sim.Pay(ref); err != nil {
		t.Fatal(err)
	}
	before := queries.Count("", ref)
	paymentstest.WaitFor(t, 15*time.Second, "a return showing the payment paid", func() bool {
		w := from(a, http.MethodGet, ret, "192.0.2.251", nil)
		return w.Code == http.StatusOK && a.MustGet(t, id).Status == payments.StatusPaid
	})
	if n := queries.Count("", ref) - before; n < 1 {
		t.Errorf("the payment turned paid with no query after the flood")
	}
}

// TestReturnsShareTheInstancePace: returns for many pending attempts at
// once, each from an address of its own, are all served, while what they
// ask Latipay stays within the shopper's half of the instance's queries a
// second (payments.Options.QueryRate); the others show the stored state.
func TestReturnsShareTheInstancePace(t *testing.T) {
	const rate = 4
	a, queries := paceApp(t, rate)
	var refs []string
	var ids []string
	for i := range 40 {
		id, ref := pendingQR(t, a, fmt.Sprintf("ORDER-PACE-%d", i), fmt.Sprintf("198.51.100.%d", i+1))
		ids, refs = append(ids, id), append(refs, ref)
	}
	began := time.Now()
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			w := from(a, http.MethodGet, ReturnPath(id), fmt.Sprintf("192.0.2.%d", i+1), nil)
			if w.Code != http.StatusOK {
				t.Errorf("return %d = %d, want 200", i, w.Code)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	n := 0
	for _, ref := range refs {
		n += queries.Count("", ref)
	}
	// Half the rate a second, after a first turn at once.
	if most := 1 + int(elapsed.Seconds()*rate/2+0.999); n > most {
		t.Errorf("%d Latipay queries for %d returns in %v at %d a second, want at most %d", n, len(ids), elapsed.Round(time.Millisecond), rate, most)
	}
}

// TestShopperStartsCapped: a shopper's starts, switching wallets while
// Latipay cannot answer about the attempt being replaced, ask Latipay
// within the route's budget per payment and address and the instance's
// pace, not once per request; and the public requests that read a
// payment (status, page, QR) never ask it.
func TestShopperStartsCapped(t *testing.T) {
	a, queries := paceApp(t, payments.DefaultReconcileRate)
	id, ref := pendingQR(t, a, "ORDER-SWITCH-FLOOD", "198.51.100.1")
	for _, path := range []string{CheckoutPath(id) + "/status", CheckoutPath(id), CheckoutPath(id) + "/panel"} {
		for range 30 {
			from(a, http.MethodGet, path, "198.51.100.1", nil)
		}
	}
	if n := queries.Count("", ref); n != 0 {
		t.Fatalf("%d Latipay queries from status polls and page loads, want none", n)
	}
	a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	began := time.Now()
	limited := 0
	for i := range 150 {
		m := []string{"alipay", "wechat"}[i%2]
		switch w := from(a, http.MethodPost, CheckoutPath(id)+"/start", "198.51.100.1", url.Values{"method": {m}}); w.Code {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusSeeOther, http.StatusOK, http.StatusBadGateway, http.StatusServiceUnavailable:
		default:
			t.Fatalf("start %d = %d %s", i, w.Code, w.Body)
		}
	}
	elapsed := time.Since(began)
	if limited == 0 {
		t.Errorf("150 starts of one payment from one address: none limited")
	}
	if n, most := queries.Count("", ref), 30; n > most {
		t.Errorf("%d Latipay queries of the replaced attempt for 150 starts in %v, want at most %d", n, elapsed.Round(time.Millisecond), most)
	}
}
