package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/views"
)

// The counter's own socket: the shop's static-QR payments, live.
//
// A shopper who pays through the shop's printed QR (payments.SourceStaticQR)
// pays at the shop, not at a device: no counter made the sale. Every
// unlocked counter hears of it the moment it is paid, so that the cashier
// at the till sees it: a notice on the keypad and a row in today's sales.
// The socket follows the shop-wide hub feed (hub.SubscribeAll; with
// several instances on PostgreSQL the broker passes every change on while
// anyone follows the whole shop, as for the back office's feed) and sends
// only what a counter may see: static-QR payments that became paid, as
// amount, currency, wallet, time and a short reference. Never another
// device's sale, never a description, email or anything else of the back
// office.
//
// A socket down for a while (the shop's Wi-Fi, a sleeping tablet) misses
// what was paid meanwhile, so the page says from when it wants payments:
// its URL carries since=<Unix microseconds>, stamped by the server when it
// rendered the page and moved on by the page to the paid_at of each
// message. On opening, the socket first sends the static-QR payments paid
// after that (counter.StaticQRPaidSince: within the last hour), oldest
// first, then the live ones.
//
// With several instances on PostgreSQL, a doorbell can be lost between
// them; the broker's resync then asks shop-wide subscribers to catch up
// (the hub's Stale signal, every 10 s while connected). The socket then
// reads StaticQRPaidSince again from catchUpOverlap before the paid_at
// of the last static-QR payment it sent (but never before the page's
// since, or its opening without one) and sends those it has not sent,
// oldest first, under the same checks as a live message. The overlap is
// for two instances' commits: a payment stamped paid a moment before
// one this socket already sent can commit, and lose its doorbell, after
// it.
//
// The socket lives only while the device may: its credential is checked
// before every message, every counterCheckEvery, and a revoke or a lock
// made on this instance closes it at once (liveDevices). It then closes
// with counterEnded and the page reloads into the pairing form or the
// unlock screen.

// CounterSocketPath is the counter's socket.
const CounterSocketPath = "/counter/ws"

// counterCheckEvery is how often an open counter socket checks that its
// device is still paired and unlocked, for a revoke or lock made on
// another instance (one on this instance closes it at once). A check is
// one indexed read.
const counterCheckEvery = 5 * time.Second

// counterEnded is the close code that sends the counter's page back to
// the pairing form or the unlock screen (4000-4999 are the application's).
const counterEnded = 4001

// catchUpOverlap is how far before the last payment it sent a counter
// socket's catch-up reads again (seen skips what it already sent): a
// payment stamped paid on one instance just before one committed on
// another may commit after it.
const catchUpOverlap = time.Minute

// counterSeen bounds the payments a counter socket remembers having sent,
// to skip repeats (the broker's copy of a change this instance published).
const counterSeen = 1024

// counterLiveMessage is one static-QR payment as the counter's socket
// sends it: its facts, and its notice and sales row rendered in the page's
// language (views.CounterNoticeView, views.CounterSaleRowView).
type counterLiveMessage struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Amount     string `json:"amount"` // "12.50"
	Currency   string `json:"currency"`
	AmountText string `json:"amount_text"` // "NZ$12.50"
	Method     string `json:"method"`
	Time       string `json:"time"`      // paid, in the shop's time zone, "14:03"
	Reference  string `json:"reference"` // short: the end of Latipay's order id
	Notice     string `json:"notice"`    // HTML
	Row        string `json:"row"`       // HTML
	// PaidAt is when it was paid, in Unix microseconds: the page asks
	// for what was paid after the last one it got when it reconnects.
	PaidAt int64 `json:"paid_at"`
}

// liveDevices holds the open counter sockets of this instance by device,
// so that revoking or locking a device closes its sockets at once.
type liveDevices struct {
	mu sync.Mutex
	m  map[string]map[chan struct{}]struct{} // device id -> sockets' kick channels
}

// add registers a socket of device id; kicked closes when the device is
// revoked or locked here; leave unregisters it.
func (l *liveDevices) add(id string) (kicked <-chan struct{}, leave func()) {
	ch := make(chan struct{})
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]map[chan struct{}]struct{}{}
	}
	if l.m[id] == nil {
		l.m[id] = map[chan struct{}]struct{}{}
	}
	l.m[id][ch] = struct{}{}
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, ok := l.m[id][ch]; ok {
			delete(l.m[id], ch)
			if len(l.m[id]) == 0 {
				delete(l.m, id)
			}
		}
	}
}

// kick closes every socket of device id on this instance.
func (l *liveDevices) kick(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.m[id] {
		close(ch)
	}
	delete(l.m, id)
}

// shortReference is how the counter names a static-QR payment: the last
// six characters of Latipay's order id (what the shopper's wallet shows),
// else of our reference.
func shortReference(p payments.Payment) string {
	r := p.LatipayOrderID
	if r == "" {
		r = p.Reference
	}
	if len(r) > 6 {
		r = r[len(r)-6:]
	}
	return r
}

// counterSaleRow is one row of today's sales (counter.SaleRow) for the
// view; names remembers cashiers' names. A static-QR payment has no
// cashier and no cancel, and reprints like a sale of the device.
func (s *Server) counterSaleRow(c *gin.Context, d counter.Device, names map[string]string, r counter.SaleRow) views.CounterSaleRow {
	p := r.Payment
	row := views.CounterSaleRow{ID: p.ID, Time: p.CreatedAt.In(s.shopZone()).Format(time.TimeOnly[:5]),
		Amount: views.Money{Minor: p.Amount, Currency: string(p.Currency), Exponent: p.Currency.Exponent()},
		Method: string(p.Method), Status: string(p.Status), StaticQR: r.StaticQR}
	if hasReceipt(p) {
		row.ReceiptURL = s.langPath(c, CounterSalePath(p.ID)+"/receipt")
	}
	if r.StaticQR {
		return row
	}
	row.Cashier = s.cashierName(c, names, r.Sale.AccountID)
	if p.Source == payments.SourceCounterScan && p.Status == payments.StatusCreated {
		if as, err := s.svc.Attempts(c.Request.Context(), p.ID); err == nil {
			row.Refused = payments.PayCodeRefused(p, as)
		}
	}
	// A failed sale whose window ended stays failed (payments.Expirable):
	// nobody can retry it, and a cancel would only hide the decline.
	if p.Status == payments.StatusCreated || p.Status == payments.StatusPending ||
		p.Status == payments.StatusFailed && !p.Expired(s.opts.Now()) {
		row.CancelURL = CounterSalePath(p.ID) + "/cancel"
	}
	return row
}

// counterLive builds the socket's message for p in loc's language (ctx
// carries loc for rendering).
func (s *Server) counterLive(ctx context.Context, c *gin.Context, loc views.Localizer, d counter.Device, p payments.Payment) (counterLiveMessage, error) {
	paid := p.PaidAt
	if paid.IsZero() {
		paid = p.UpdatedAt
	}
	m := counterLiveMessage{ID: p.ID, Status: string(p.Status), Amount: payments.FormatAmount(p.Amount, p.Currency),
		Currency: string(p.Currency), Method: string(p.Method), Time: paid.In(s.shopZone()).Format(time.TimeOnly[:5]),
		Reference: shortReference(p), PaidAt: paid.UnixMicro(),
		AmountText: views.MoneyIn(loc.Lang(), views.Money{Minor: p.Amount, Currency: string(p.Currency), Exponent: p.Currency.Exponent()})}
	n := views.CounterNotice{Text: loc.T("counterlive.notice", m.AmountText, loc.T("method."+m.Method)),
		Detail: loc.T("counterlive.detail", m.Time, m.Reference)}
	var b bytes.Buffer
	if err := views.CounterNoticeView(n).Render(ctx, &b); err != nil {
		return m, err
	}
	m.Notice = b.String()
	b.Reset()
	if err := views.CounterSaleRowView(s.counterSaleRow(c, d, nil, counter.SaleRow{Payment: p, StaticQR: true})).Render(ctx, &b); err != nil {
		return m, err
	}
	m.Row = b.String()
	return m, nil
}

// handleCounterSocket serves GET /counter/ws: the static-QR payments of
// the shop as they are paid, for a paired and unlocked device (its
// credential cookie) from a page of this origin only (a missing Origin is
// refused too). Order: check the device, upgrade, subscribe shop-wide,
// then send each static-QR payment that became paid, once.
func (s *Server) handleCounterSocket() gin.HandlerFunc {
	up := websocket.Upgrader{
		ReadBufferSize: 512, WriteBufferSize: 4096,
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == s.origin },
	}
	return func(c *gin.Context) {
		token := ""
		if ck, err := c.Request.Cookie(s.counterCookie()); err == nil {
			token = ck.Value
		}
		// allowed: nil while the device is paired and unlocked;
		// errCounterLocked or a counter error when not.
		allowed := func(ctx context.Context) (counter.Device, error) {
			d, err := s.opts.Counter.Authenticate(ctx, token)
			if err == nil && d.CashierID == "" {
				err = errCounterLocked
			}
			return d, err
		}
		d, err := allowed(c.Request.Context())
		if errors.Is(err, counter.ErrRevoked) {
			c.String(http.StatusForbidden, "this counter device was revoked")
			return
		}
		if err != nil {
			c.String(http.StatusUnauthorized, "pair or unlock this counter again")
			return
		}
		conn, err := up.Upgrade(c.Writer, c.Request, nil)
		if err != nil {
			return // the upgrader already answered
		}
		kicked, leave := s.devices.add(d.ID)
		defer leave()
		// after is the paid_at of the last static-QR payment sent, in
		// Unix microseconds, else the page's stamp, else the socket's
		// opening; start is the stamp or the opening. A catch-up reads
		// from catchUpOverlap before after, never before start.
		after := s.opts.Counter.Now().UnixMicro()
		start := after
		sub := s.hub.SubscribeAll()
		defer sub.Cancel()
		loc := s.localizer(c)
		ctx := views.WithLocalizer(c.Request.Context(), loc)
		seen := map[string]bool{}
		// message makes p's message if the device may still listen, and
		// marks p sent.
		message := func(p payments.Payment) (counterLiveMessage, bool, error) {
			if _, err := allowed(ctx); err != nil {
				return counterLiveMessage{}, false, err
			}
			if len(seen) >= counterSeen {
				clear(seen)
			}
			seen[p.ID] = true
			m, err := s.counterLive(ctx, c, loc, d, p)
			if err != nil {
				s.log.Error("counter socket", "request_id", requestID(c), "err", err)
				return m, false, nil
			}
			after = max(after, m.PaidAt)
			return m, true, nil
		}
		next := func(u payments.Update) (counterLiveMessage, bool, error) {
			if u.Status != payments.StatusPaid || seen[u.PaymentID] {
				return counterLiveMessage{}, false, nil // the cheap filter: no read
			}
			p, err := s.svc.Get(ctx, u.PaymentID)
			if err != nil || p.Source != payments.SourceStaticQR || p.Status != payments.StatusPaid {
				return counterLiveMessage{}, false, nil
			}
			return message(p)
		}
		// catchUp reads what was paid after the last one sent, for
		// doorbells lost between instances, and makes the messages of
		// those not sent yet, oldest first.
		catchUp := func() ([]counterLiveMessage, error) {
			from := max(start, after-catchUpOverlap.Microseconds())
			missed, err := s.opts.Counter.StaticQRPaidSince(ctx, time.UnixMicro(from))
			if err != nil {
				s.log.Error("counter socket: catch-up", "request_id", requestID(c), "err", err)
				return nil, nil // the next catch-up tries again
			}
			var out []counterLiveMessage
			for _, p := range missed {
				if seen[p.ID] {
					continue
				}
				m, ok, err := message(p)
				if err != nil {
					return out, err
				}
				if ok {
					out = append(out, m)
				}
			}
			return out, nil
		}
		// What was paid since the page's stamp, after subscribing: a
		// payment paid in between is in both, and seen sends it once.
		var replay []counterLiveMessage
		if us, err := strconv.ParseInt(c.Query("since"), 10, 64); err == nil && us > 0 {
			after, start = us, us
			missed, err := s.opts.Counter.StaticQRPaidSince(ctx, time.UnixMicro(us))
			if err != nil {
				s.log.Error("counter socket: replay", "request_id", requestID(c), "err", err)
			}
			for _, p := range missed {
				seen[p.ID] = true
				if m, err := s.counterLive(ctx, c, loc, d, p); err == nil {
					replay = append(replay, m)
					after = max(after, m.PaidAt)
				}
			}
		}
		serveCounterLive(conn, sub, kicked, replay, next, catchUp, func() error { _, err := allowed(ctx); return err })
	}
}

// serveCounterLive runs one counter socket: a reader that discards input
// and notices the close, and this writer loop, which sends replay first,
// then what next makes of each hub update and what catchUp returns when
// the hub asks to catch up (sub.Stale). check says whether the device may
// still listen (before each message, in next and catchUp, and every
// counterCheckEvery); kicked closes when it was revoked or locked on this
// instance. A device that may no longer listen closes the socket with
// counterEnded; any other trouble with "retry", and the page reconnects.
func serveCounterLive(conn *websocket.Conn, sub *hub.Subscription, kicked <-chan struct{}, replay []counterLiveMessage,
	next func(payments.Update) (counterLiveMessage, bool, error), catchUp func() ([]counterLiveMessage, error), check func() error) {
	defer conn.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn.SetReadLimit(maxMessageSize)
		_ = conn.SetReadDeadline(time.Now().Add(pongWait))
		conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	closeWith := func(code int, text string) {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(writeWait))
	}
	end := func(err error) {
		if errors.Is(err, counter.ErrRevoked) || errors.Is(err, counter.ErrUnknown) || errors.Is(err, errCounterLocked) {
			closeWith(counterEnded, "device ended")
			return
		}
		closeWith(websocket.CloseInternalServerErr, "retry")
	}
	for _, m := range replay {
		_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
		if conn.WriteJSON(m) != nil {
			return
		}
	}
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	recheck := time.NewTicker(counterCheckEvery)
	defer recheck.Stop()
	for {
		select {
		case u, ok := <-sub.C:
			if !ok {
				closeWith(websocket.CloseGoingAway, "reconnect")
				return
			}
			m, ok, err := next(u)
			if err != nil {
				end(err)
				return
			}
			if !ok {
				continue
			}
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if conn.WriteJSON(m) != nil {
				return
			}
		case <-sub.Stale:
			ms, err := catchUp()
			for _, m := range ms {
				_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
				if conn.WriteJSON(m) != nil {
					return
				}
			}
			if err != nil {
				end(err)
				return
			}
		case <-kicked:
			end(counter.ErrRevoked)
			return
		case <-recheck.C:
			if err := check(); err != nil {
				end(err)
				return
			}
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
				return
			}
		case <-done:
			return
		}
	}
}

// counterLiveURL is the counter's socket as a page links it: stamped with
// the counter's clock, so that the socket also sends what is paid between
// the page's rendering and the socket's opening.
func (s *Server) counterLiveURL() string {
	return CounterSocketPath + "?since=" + strconv.FormatInt(s.opts.Counter.Now().UnixMicro(), 10)
}
