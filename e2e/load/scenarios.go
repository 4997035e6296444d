package main

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/latipay-hpp/hpp/payments/latipay"
)

const (
	userID    = "U000000001"
	walletNZD = "W000000001"
	desktopUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)

// harness is one run's shared state: the processes and what earlier
// scenarios left for later ones.
type harness struct {
	config
	dir, bin string
	apiKey   string
	keys     map[string]string // the app's secrets, shared by every instance
	sim      *proc
	app      *proc
	appDB    string // the app's SQLite file
	client   *http.Client

	httpCeiling float64  // this run's HTTP ceiling, once measured
	renderIDs   []string // the render scenario's payments

	mu      sync.Mutex
	created []string // payment ids still in status created
	started []string // payment ids with a pending WeChat attempt
}

// runOnce runs every wanted scenario once and returns its rows. With
// growthReps > 0 (the first run) it also runs the growth rows, measuring
// each size growthReps times: the first measurement's rows are in rows,
// the others in later, one slice per later run.
func runOnce(ctx context.Context, cfg config, dir, bin string, stderr io.Writer, growthReps int) (rows []row, later [][]row, err error) {
	h := &harness{config: cfg, dir: dir, bin: bin, apiKey: randomHex(24), client: newClient(cfg.conns)}
	h.keys = map[string]string{
		"HPP_API_KEY": h.apiKey, "HPP_SESSION_KEY": randomHex(24), "HPP_LINK_SECRET": randomHex(24),
		"LATIPAY_API_KEY": randomHex(16), "LATIPAY_USER_ID": userID, "LATIPAY_WALLET_NZD": walletNZD,
	}
	add := func(name string, f func(context.Context) (row, error)) error {
		if !cfg.want(name) {
			return nil
		}
		fmt.Fprintf(stderr, "load:   %s\n", name)
		r, err := f(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.Scenario = name
		if r.Ceiling != "" && r.CeilingRate == 0 {
			for _, c := range rows {
				if c.Scenario == "ceiling-"+r.Ceiling && c.PerSecond > 0 {
					r.CeilingRate, r.Ratio = c.PerSecond, r.PerSecond/c.PerSecond
				}
			}
		}
		if name == "ceiling-http" {
			h.httpCeiling = r.PerSecond
		}
		r.Met = judge(&r)
		rows = append(rows, r)
		return nil
	}
	if h.sim, err = h.startSim(ctx); err != nil {
		return nil, nil, err
	}
	defer h.sim.stop()
	steps := []struct {
		name string
		f    func(context.Context) (row, error)
	}{
		{"startup", h.startup},
		{"ceiling-http", func(ctx context.Context) (row, error) {
			s, cpu, err := httpCeiling(ctx, h)
			r := fromSample("", s)
			r.Extra = cpu
			return r, err
		}},
		{"ceiling-durability", func(ctx context.Context) (row, error) {
			s, err := durabilityCeiling(ctx, h)
			return fromSample("", s), err
		}},
	}
	for _, s := range steps {
		if err := add(s.name, s.f); err != nil {
			return rows, nil, err
		}
	}
	if cfg.want("render") || cfg.want("render-rate") || cfg.want("create") || cfg.want("start") || cfg.want("start-rate") ||
		cfg.want("callback") || cfg.want("push") {
		h.appDB = filepath.Join(dir, fmt.Sprintf("app-%d.db", time.Now().UnixNano()))
		app, _, _, err := h.startApp(ctx, "app", h.appDB, nil)
		if err != nil {
			return rows, nil, err
		}
		defer app.stop()
		h.app = app
		for _, s := range []struct {
			name string
			f    func(context.Context) (row, error)
		}{{"render", h.render}, {"render-rate", h.renderRate}, {"create", h.create}, {"start", h.start},
			{"start-rate", h.startAtRate}, {"callback", h.callback}, {"push", h.push}} {
			if err := add(s.name, s.f); err != nil {
				return rows, nil, err
			}
		}
		app.stop()
	}
	if err := add("memory", h.memory); err != nil {
		return rows, nil, err
	}
	if err := add("postgres", h.postgres); err != nil {
		return rows, nil, err
	}
	if cfg.only["pg2"] { // long: only when named in -only
		fmt.Fprintf(stderr, "load:   pg2\n")
		rs, err := h.pg2(ctx, stderr)
		for i := range rs {
			rs[i].Met = judge(&rs[i])
		}
		rows = append(rows, rs...)
		if err != nil {
			return rows, nil, fmt.Errorf("pg2: %w", err)
		}
	}
	// growth seeds 1,000,000 payments a store: only when named in -only,
	// and only in the first run, which measures every size growthReps
	// times (growth.go).
	if cfg.only["growth"] && growthReps > 0 {
		fmt.Fprintf(stderr, "load:   growth\n")
		reps, err := h.growth(ctx, stderr, growthReps)
		for _, rs := range reps {
			for i := range rs {
				rs[i].Met = judge(&rs[i])
			}
		}
		if len(reps) > 0 {
			rows = append(rows, reps[0]...)
			later = reps[1:]
		}
		if err != nil {
			return rows, later, fmt.Errorf("growth: %w", err)
		}
	}
	return rows, later, nil
}

// startSim starts `hpp simulator` and reads its URL.
func (h *harness) startSim(ctx context.Context) (*proc, error) {
	lines := make(chan string, 16)
	env := map[string]string{"HPP_SIM_ADDR": "127.0.0.1:0"}
	for _, k := range []string{"LATIPAY_API_KEY", "LATIPAY_USER_ID", "LATIPAY_WALLET_NZD"} {
		env[k] = h.keys[k]
	}
	bin, args := pinned(h.serverCPUs, h.bin, []string{"simulator"})
	p, err := start(h.dir, "simulator", bin, args, env, lines)
	if err != nil {
		return nil, err
	}
	select {
	case l := <-lines:
		u, ok := strings.CutPrefix(l, "latipaysim: listening on ")
		if !ok {
			p.stop()
			return nil, fmt.Errorf("simulator said %q", l)
		}
		p.url = u
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("the simulator exited (see %s/simulator.stderr)", h.dir)
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, fmt.Errorf("the simulator did not start")
	}
}

// startApp starts an instance, not in sandbox mode, talking to the
// simulator process, and waits until /healthz answers. It returns the time
// from exec to the first 200.
func (h *harness) startApp(ctx context.Context, name, database string, extra map[string]string) (*proc, string, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", 0, err
	}
	base := "http://" + addr
	env := map[string]string{"HPP_ADDR": addr, "HPP_PUBLIC_URL": base, "HPP_DATABASE": database,
		"LATIPAY_API_URL": h.sim.url, "HPP_RATE_LIMITS": "off"}
	for k, v := range h.keys {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	t0 := time.Now()
	bin, args := pinned(h.serverCPUs, h.bin, nil)
	p, err := start(h.dir, name, bin, args, env, nil)
	if err != nil {
		return nil, "", 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ready, err := waitHealthy(wctx, p, base)
	if err != nil {
		p.stop()
		return nil, "", 0, err
	}
	p.url = base
	return p, base, ready.Sub(t0), nil
}

// startup: exec to /healthz 200 on an empty database, idle memory, and
// the size and linking of the binary.
func (h *harness) startup(ctx context.Context) (row, error) {
	p, _, ready, err := h.startApp(ctx, "startup", filepath.Join(h.dir, fmt.Sprintf("startup-%d.db", time.Now().UnixNano())), nil)
	if err != nil {
		return row{}, err
	}
	defer p.stop()
	select { // let start-up work settle before reading idle memory
	case <-time.After(time.Second):
	case <-ctx.Done():
		return row{}, ctx.Err()
	}
	m := p.mem()
	fi, err := os.Stat(h.bin)
	if err != nil {
		return row{}, err
	}
	static := 0.0
	if isStatic(h.bin) {
		static = 1
	}
	return row{RSSMB: mb(m.RSS), HWMMB: mb(m.HWM), Extra: map[string]float64{
		"ready_ms": ms(ready), "idle_rss_mb": mb(m.RSS), "binary_mb": mb(fi.Size()), "static": static}}, nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// isStatic reports whether the ELF file has no interpreter and no
// dynamic libraries.
func isStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	libs, _ := f.ImportedLibraries()
	return len(libs) == 0
}

// createPayment posts one payment to the API of the instance at base and
// returns its id.
func (h *harness) createPayment(ctx context.Context, base string, i int) (string, error) {
	body := fmt.Sprintf(`{"amount":"12.50","currency":"NZD","reference":"load-%d","description":"Load test order","return_url":"https://shop.example/return"}`, i)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/payments", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("load-%d-%s", i, randomHex(4)))
	resp, err := h.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		ID string `json:"id"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := statusErr("create", resp.StatusCode, http.StatusCreated); err != nil {
		return "", err
	}
	if err := json.Unmarshal(b, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("create: no id in %q", b)
	}
	return out.ID, nil
}

// startPayment chooses WeChat on the checkout page as a desktop browser:
// the app creates the Latipay transaction and fetches the QR data.
func (h *harness) startPayment(ctx context.Context, base, id string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/checkout/"+id+"/start", strings.NewReader("method=wechat"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base) // CSRF protection: a same-origin form post
	req.Header.Set("User-Agent", desktopUA)
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return statusErr("start", resp.StatusCode, http.StatusSeeOther)
}

// prepare makes n payments (untimed), started or not, with the harness's
// workers.
func (h *harness) prepare(ctx context.Context, base string, n int, started bool) ([]string, error) {
	ids := make([]string, n)
	s := drive(ctx, h.conns, 10*time.Minute, func(ctx context.Context, i int) error {
		if i >= n {
			return errNoWork
		}
		id, err := h.createPayment(ctx, base, i+1_000_000_000)
		if err != nil {
			return err
		}
		if started {
			if err := h.startPayment(ctx, base, id); err != nil {
				return err
			}
		}
		ids[i] = id
		return nil
	})
	if s.Errors > 0 {
		return nil, fmt.Errorf("prepare %d payments: %d errors, first: %s", n, s.Errors, s.FirstErr)
	}
	return ids, nil
}

// render: GET /checkout/{id} for 256 payments in turn, as fast as the
// connections go (closed loop): the rate the page can be served at.
func (h *harness) render(ctx context.Context) (row, error) {
	ids, err := h.renderPayments(ctx)
	if err != nil {
		return row{}, err
	}
	m := meterCPU(h.procs())
	stop := h.perfRecord("render")
	s := drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
		return h.getPage(ctx, ids[i%len(ids)])
	})
	stop()
	r := h.withMem(fromSample("", s), "http")
	m.perOp(&r, s.N)
	return r, nil
}

// renderRate: the same pages offered at a fixed rate over the same
// connections, by default the render target's 25% of this run's HTTP
// ceiling: the latency a shopper sees when the page is served at the
// target rate, rather than the queueing of a saturated closed loop.
func (h *harness) renderRate(ctx context.Context) (row, error) {
	rate := h.config.renderRate
	if rate == 0 {
		if h.httpCeiling == 0 {
			return row{Skipped: "no HTTP ceiling in this run (add ceiling-http or give -render-rate)"}, nil
		}
		rate = renderRateOfHTTP * h.httpCeiling
	}
	ids, err := h.renderPayments(ctx)
	if err != nil {
		return row{}, err
	}
	m := meterCPU(h.procs())
	s := driveRate(ctx, h.conns, rate, h.duration, func(ctx context.Context, i int) error {
		return h.getPage(ctx, ids[i%len(ids)])
	})
	r := h.withMem(fromSample("", s), "http")
	r.Extra = map[string]float64{"offered_per_second": rate}
	m.perOp(&r, s.N)
	return r, nil
}

func (h *harness) renderPayments(ctx context.Context) ([]string, error) {
	if h.renderIDs == nil {
		ids, err := h.prepare(ctx, h.app.url, 256, false)
		if err != nil {
			return nil, err
		}
		h.renderIDs = ids
	}
	return h.renderIDs, nil
}

// getPage fetches one checkout page as a desktop browser.
func (h *harness) getPage(ctx context.Context, id string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.app.url+"/checkout/"+id, nil)
	req.Header.Set("User-Agent", desktopUA)
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return statusErr("page", resp.StatusCode, http.StatusOK)
}

// create: POST /api/v1/payments with an Idempotency-Key; each is one
// durable transaction.
func (h *harness) create(ctx context.Context) (row, error) {
	var ids []string
	var mu sync.Mutex
	var s sample
	r, err := h.bracketed(ctx, func() row {
		m := meterCPU(h.procs())
		s = drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
			id, err := h.createPayment(ctx, h.app.url, i)
			if err != nil {
				return err
			}
			mu.Lock()
			ids = append(ids, id)
			mu.Unlock()
			return nil
		})
		r := h.withMem(fromSample("", s), "durability")
		m.perOp(&r, s.N)
		return r
	})
	h.created = append(h.created, ids...)
	return r, err
}

// bracketed runs a durable scenario between two measurements of the
// durability ceiling, taken just before and just after it, and sets the
// row's ceiling to their mean: fsync latency on a virtual disk drifts by
// a third within minutes, so a ceiling taken at the start of the run
// would compare the scenario with another disk. Both are kept in the row
// (ceiling_before, ceiling_after), as is the run-start ceiling in its own
// row. Before each of the three, settle writes back what earlier work left
// dirty, so that none of them pays for another's writeback.
func (h *harness) bracketed(ctx context.Context, scenario func() row) (row, error) {
	settle()
	before, err := durabilityCeiling(ctx, h)
	if err != nil {
		return row{}, err
	}
	settle()
	r := scenario()
	settle()
	after, err := durabilityCeiling(ctx, h)
	if err != nil {
		return row{}, err
	}
	if r.Extra == nil {
		r.Extra = map[string]float64{}
	}
	r.Extra["ceiling_before"], r.Extra["ceiling_after"] = before.rate(), after.rate()
	if c := (before.rate() + after.rate()) / 2; c > 0 {
		r.CeilingRate, r.Ratio = c, r.PerSecond/c
	}
	return r, nil
}

// start: POST /checkout/{id}/start method=wechat on payments the create
// scenario made (or freshly prepared ones).
func (h *harness) start(ctx context.Context) (row, error) {
	ids := h.created
	if len(ids) == 0 {
		var err error
		if ids, err = h.prepare(ctx, h.app.url, 5000, false); err != nil {
			return row{}, err
		}
	}
	h.created = nil
	done := make([]bool, len(ids))
	tried := make([]bool, len(ids))
	m := meterCPU(h.procs())
	s := drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
		if i >= len(ids) {
			return errNoWork
		}
		tried[i] = true
		if err := h.startPayment(ctx, h.app.url, ids[i]); err != nil {
			return err
		}
		done[i] = true
		return nil
	})
	for i, ok := range done {
		if ok {
			h.started = append(h.started, ids[i])
		} else if !tried[i] {
			h.created = append(h.created, ids[i]) // the callback scenario may start them
		}
	}
	r := h.withMem(fromSample("", s), "")
	m.perOp(&r, s.N)
	if len(ids) <= s.N+s.Errors {
		r.FirstError = strings.TrimSpace(r.FirstError + fmt.Sprintf(" (ran out of the %d prepared payments)", len(ids)))
	}
	return r, nil
}

// startAtRate: starts offered at a fixed rate (-start-rate, 1,000/s: the
// target) over the same connections, on payments the create scenario made
// (topped up, untimed, if too few are left): the latency of a start when
// the app takes the target rate, rather than a saturated closed loop's.
func (h *harness) startAtRate(ctx context.Context) (row, error) {
	rate := h.config.startRate
	need := int(rate*h.duration.Seconds()) + 1
	ids := h.created
	h.created = nil
	if len(ids) < need {
		more, err := h.prepare(ctx, h.app.url, need-len(ids), false)
		if err != nil {
			return row{}, err
		}
		ids = append(ids, more...)
	}
	done := make([]bool, len(ids))
	m := meterCPU(h.procs())
	s := driveRate(ctx, h.conns, rate, h.duration, func(ctx context.Context, i int) error {
		if i >= len(ids) {
			return errNoWork
		}
		if err := h.startPayment(ctx, h.app.url, ids[i]); err != nil {
			return err
		}
		done[i] = true
		return nil
	})
	for i, ok := range done {
		if ok {
			h.started = append(h.started, ids[i])
		} else {
			h.created = append(h.created, ids[i])
		}
	}
	r := h.withMem(fromSample("", s), "")
	r.Extra = map[string]float64{"offered_per_second": rate}
	m.perOp(&r, s.N)
	return r, nil
}

// ledger returns the simulator's pending transactions by our payment id
// (taken from the return URL, /checkout/{id}/return).
func (h *harness) ledger(ctx context.Context) (map[string]txn, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.sim.url+"/ledger", nil)
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list []txn
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	out := map[string]txn{}
	for _, t := range list {
		if m := returnID.FindStringSubmatch(t.ReturnURL); m != nil && t.Status == "pending" {
			out[m[1]] = t
		}
	}
	return out, nil
}

var returnID = regexp.MustCompile(`/checkout/([^/?]+)/return`)

// txn is the part of a simulator ledger entry the harness uses.
type txn struct {
	MerchantReference string `json:"merchant_reference"`
	OrderID           string `json:"order_id"`
	Currency          string `json:"currency"`
	Amount            string `json:"amount"`
	PaymentMethod     string `json:"payment_method"`
	Status            string `json:"status"`
	ReturnURL         string `json:"return_url"`
}

// paidForm is Latipay's notification that t was paid, signed as Latipay
// signs it.
func (h *harness) paidForm(t txn) string {
	return url.Values{
		"merchant_reference": {t.MerchantReference}, "order_id": {t.OrderID}, "currency": {t.Currency},
		"amount": {t.Amount}, "payment_method": {t.PaymentMethod}, "status": {"paid"},
		"pay_time":  {"2026-01-02 15:04:05"},
		"signature": {latipay.SignResult(h.keys["LATIPAY_API_KEY"], t.MerchantReference, t.PaymentMethod, "paid", t.Currency, t.Amount)},
	}.Encode()
}

// postCallback sends one notification to the instance at base and checks
// the answer is exactly "sent".
func (h *harness) postCallback(ctx context.Context, base, form string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/latipay/callback", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(b, []byte("sent")) {
		return fmt.Errorf("callback: HTTP %d %q, want 200 \"sent\"", resp.StatusCode, b)
	}
	return nil
}

// callbackPerSecond is the callback rate the callback scenario prepares
// payments for, so that it does not run out before -duration ends.
const callbackPerSecond = 5000

// callback: signed paid notifications, one per distinct started payment.
func (h *harness) callback(ctx context.Context) (row, error) {
	ids := h.started
	if len(ids) == 0 {
		var err error
		if ids, err = h.prepare(ctx, h.app.url, 5000, true); err != nil {
			return row{}, err
		}
	}
	h.started = nil
	// Top up (untimed) with payments the create scenario made and the
	// start scenario did not reach.
	if want := int(callbackPerSecond * h.duration.Seconds()); len(ids) < want && len(h.created) > 0 {
		more := h.created[:min(len(h.created), want-len(ids))]
		h.created = h.created[len(more):]
		ok := make([]bool, len(more))
		s := drive(ctx, h.conns, 10*time.Minute, func(ctx context.Context, i int) error {
			if i >= len(more) {
				return errNoWork
			}
			if err := h.startPayment(ctx, h.app.url, more[i]); err != nil {
				return err
			}
			ok[i] = true
			return nil
		})
		if s.Errors > 0 {
			return row{}, fmt.Errorf("start %d more payments: %d errors, first: %s", len(more), s.Errors, s.FirstErr)
		}
		for i, started := range ok {
			if started {
				ids = append(ids, more[i])
			}
		}
	}
	led, err := h.ledger(ctx)
	if err != nil {
		return row{}, err
	}
	var forms []string
	for _, id := range ids {
		if t, ok := led[id]; ok {
			forms = append(forms, h.paidForm(t))
		}
	}
	var s sample
	r, err := h.bracketed(ctx, func() row {
		m := meterCPU(h.procs())
		stop := h.perfRecord("callback")
		s = drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
			if i >= len(forms) {
				return errNoWork
			}
			return h.postCallback(ctx, h.app.url, forms[i])
		})
		stop()
		r := h.withMem(fromSample("", s), "durability")
		m.perOp(&r, s.N)
		return r
	})
	if err != nil {
		return row{}, err
	}
	if len(forms) <= s.N+s.Errors {
		r.FirstError = strings.TrimSpace(r.FirstError + fmt.Sprintf(" (ran out of the %d started payments)", len(forms)))
	}
	return r, nil
}

// procs are the processes whose CPU a scenario's row reports.
func (h *harness) procs() map[string]*proc { return map[string]*proc{"app": h.app, "sim": h.sim} }

// withMem adds the app's memory and the ceiling to compare with.
func (h *harness) withMem(r row, ceiling string) row {
	m := h.app.mem()
	r.RSSMB, r.HWMMB, r.Ceiling = mb(m.RSS), mb(m.HWM), ceiling
	return r
}

// socketURL fetches the checkout page of id and returns the websocket URL
// the page's script would open, with its token.
func (h *harness) socketURL(ctx context.Context, base, id string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/checkout/"+id, nil)
	req.Header.Set("User-Agent", desktopUA)
	resp, err := h.client.Do(req)
	if err != nil {
		return "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := socketAttr.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("page of %s: no data-socket-url (HTTP %d)", id, resp.StatusCode)
	}
	return "ws" + strings.TrimPrefix(base, "http") + html.UnescapeString(string(m[1])), nil
}

var socketAttr = regexp.MustCompile(`data-socket-url="([^"]+)"`)

// settle flushes the page cache's dirty data to disk (sync(2)) and gives
// the disk a moment: an fsync on ext4 waits for other files' dirty data
// in the same journal transaction, so writeback left over from an earlier
// scenario would slow whatever is measured next.
func settle() {
	syscall.Sync()
	time.Sleep(time.Second)
}
