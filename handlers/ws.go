package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/views"
)

// Socket timings and limits (the socket caps are listed in
// e2e/README.md, Security).
const (
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = 25 * time.Second
	// feedLiveEvery is how often a back-office feed checks its session
	// (two indexed reads): a session signed out, revoked or timed out on
	// any instance closes its socket within about this long, not at the
	// next ping.
	feedLiveEvery  = time.Second
	maxMessageSize = 512
)

// handleSocket serves GET /checkout/:id/ws?t=<token>. Order matters:
// upgrade, subscribe, then send the current state, so an update that races
// the page load is never missed. It closes after a final state.
func (s *Server) handleSocket(svc interface {
	Get(ctx context.Context, id string) (payments.Payment, error)
}) gin.HandlerFunc {
	// Small buffers: a shopper sends nothing but control frames, and a
	// status message is some 40 bytes; the write buffer is taken from a
	// pool only while a message is written, not held per socket.
	up := websocket.Upgrader{
		ReadBufferSize: 256, WriteBufferSize: 512, WriteBufferPool: &sync.Pool{},
		CheckOrigin: func(r *http.Request) bool {
			o := r.Header.Get("Origin")
			return o == s.origin || o == "" // no Origin: not a browser; the token still applies
		},
	}
	return func(c *gin.Context) {
		id := c.Param("id")
		if !payments.ValidPaymentID(id) || !s.socketTokenOK(id, c.Query("t")) {
			c.String(http.StatusUnauthorized, "invalid or expired token")
			return
		}
		conn, err := up.Upgrade(c.Writer, c.Request, nil)
		if err != nil {
			return // the upgrader already answered
		}
		sub := s.hub.Subscribe(id)
		p, err := svc.Get(c.Request.Context(), id)
		if err != nil {
			sub.Cancel()
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "unknown payment"), time.Now().Add(writeWait))
			conn.Close()
			return
		}
		// The socket goes on in goroutines of its own and the handler
		// returns: the HTTP server's goroutine, its deep stack and the
		// connection's 4 KB read buffer, the request and gin's context
		// are let go for the socket's life (about 19,000 sockets open
		// at once on one instance; e2e/load). socketCaps' slots go with
		// the socket.
		st := state(c)
		release := st.release
		st.release = nil
		go func() {
			defer sub.Cancel()
			if release != nil {
				defer release()
			}
			serveSocket(conn, sub, statusJSON(p), p.Status.Final())
		}()
	}
}

// serveSocket runs one connection: a reader that discards input and
// notices the close, and this writer loop.
func serveSocket(conn *websocket.Conn, sub *hub.Subscription, first statusMessage, final bool) {
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
	send := func(m statusMessage) bool {
		_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteJSON(m) == nil
	}
	closeWith := func(code int, text string) {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(writeWait))
	}
	if !send(first) {
		return
	}
	if final {
		closeWith(websocket.CloseNormalClosure, "final")
		return
	}
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	last := first.Version
	for {
		select {
		case u, ok := <-sub.C:
			if !ok {
				closeWith(websocket.CloseGoingAway, "reconnect")
				return
			}
			if u.Version <= last {
				continue
			}
			last = u.Version
			if !send(statusMessage{Status: string(u.Status), Version: u.Version}) {
				return
			}
			if u.Status.Final() {
				closeWith(websocket.CloseNormalClosure, "final")
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

// handleDisplaySocket serves GET /counter/display/ws: the shopper-facing
// display's live feed. The display's credential (its cookie) must still
// work and the Origin must be ours. It follows the shop-wide hub feed:
// on every update of one of its device's sales it reads the device's
// latest sale back and sends what the display should show (displayNow),
// when that changed. When the hub asks shop-wide subscribers to catch up
// (sub.Stale: the broker's resync, for doorbells lost between instances)
// it does the same read, and sends only if the screen changed. Every ping
// it checks that the display and its device are still paired; when not
// it closes with 4001, and the page goes back to the pairing form.
func (s *Server) handleDisplaySocket() gin.HandlerFunc {
	up := websocket.Upgrader{
		ReadBufferSize: 512, WriteBufferSize: 4096,
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == s.origin },
	}
	return func(c *gin.Context) {
		ctx, tok := c.Request.Context(), s.displayToken(c)
		_, dev, err := s.displayOf(ctx, tok)
		if err != nil {
			c.String(http.StatusUnauthorized, "pair this display again")
			return
		}
		conn, err := up.Upgrade(c.Writer, c.Request, nil)
		if err != nil {
			return // the upgrader already answered
		}
		defer conn.Close()
		sub := s.hub.SubscribeAll() // before reading: no change falls between
		defer sub.Cancel()
		ctx = views.WithLocalizer(ctx, s.localizer(c))
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
		var last displayMessage
		send := func() bool {
			m, err := s.displayNow(ctx, dev)
			if err != nil {
				s.log.Error("display", "request_id", requestID(c), "err", err)
				closeWith(websocket.CloseInternalServerErr, "retry")
				return false
			}
			if m.same(last) && last.Screen != "" {
				return true
			}
			last = m
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			return conn.WriteJSON(m) == nil
		}
		if !send() {
			return
		}
		mine := &displaySales{s: s, device: dev.ID, mine: map[string]bool{}}
		ping := time.NewTicker(pingPeriod)
		defer ping.Stop()
		for {
			select {
			case u, ok := <-sub.C:
				if !ok {
					closeWith(websocket.CloseGoingAway, "reconnect")
					return
				}
				if mine.has(ctx, u.PaymentID) && !send() {
					return
				}
			case <-sub.Stale:
				if !send() { // one indexed read; sends only a changed screen
					return
				}
			case <-ping.C:
				if _, _, err := s.displayOf(ctx, tok); errors.Is(err, displays.ErrNotFound) {
					closeWith(displayRevoked, "revoked")
					return
				}
				if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
					return
				}
			case <-done:
				return
			}
		}
	}
}

// displayRevoked is the close code that sends a display back to pairing
// (4000-4999 are the application's own).
const displayRevoked = 4001

// feedMessage is one payment change on the back office's live feed: its
// state, and the feed's entry for it rendered in the page's language
// (views.FeedEntry), which admin.js puts at the top of the feed.
type feedMessage struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Version int64  `json:"version"`
	HTML    string `json:"html"`
}

// feedSeen bounds the versions the feed remembers to skip repeats (the
// broker's copy of a change this instance published itself).
const feedSeen = 1024

// feedCatchUp is how many of the newest payments a feed re-reads when the
// hub asks it to catch up (and reads once at opening, to know what the
// page already shows). The page shows at most 20 entries (admin.js) and
// starts with feedSize; 50 covers those and the payments created since,
// in one indexed page read per socket per catch-up (every resync, 10 s,
// with several instances on PostgreSQL).
const feedCatchUp = 50

// handleAdminFeed serves GET /admin/feed: the back office's live feed of
// every payment of the shop, for an owner's session (requireRole) and
// from a page of this origin only (a missing Origin is refused too: only
// a browser has the session cookie's business here). Order: upgrade,
// subscribe shop-wide, then send each change. Every pingPeriod it checks
// that the session is still live, without counting that as a use, and
// closes when it is not; it also ends on a slow reader and at shutdown.
//
// Doorbells between instances can be lost; the broker's resync then asks
// the feed to catch up (sub.Stale). The feed re-reads the newest
// feedCatchUp payments and sends, oldest first, those newer than what it
// has sent, or than what they were when the socket opened: it reads them
// once at opening (after subscribing) so that a catch-up does not resend
// the entries the page rendered (admin.js would move each to the top). An
// older payment that changed while its doorbell was lost shows on the
// next page load.
func (s *Server) handleAdminFeed() gin.HandlerFunc {
	up := websocket.Upgrader{
		ReadBufferSize: 512, WriteBufferSize: 4096,
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == s.origin },
	}
	return func(c *gin.Context) {
		sid := who(c).sid
		conn, err := up.Upgrade(c.Writer, c.Request, nil)
		if err != nil {
			return // the upgrader already answered
		}
		sub := s.hub.SubscribeAll()
		defer sub.Cancel()
		ctx := views.WithLocalizer(c.Request.Context(), s.localizer(c))
		seen := map[string]int64{}
		// window is the newest payments' versions as the socket has
		// them, from the last read of them on: unlike seen it is never
		// cleared, so a catch-up never resends what the page shows.
		window := map[string]int64{}
		entry := func(p payments.Payment) (feedMessage, bool) {
			if len(seen) >= feedSeen {
				clear(seen)
			}
			seen[p.ID] = p.Version
			if _, ok := window[p.ID]; ok { // only those read: it stays small
				window[p.ID] = max(window[p.ID], p.Version)
			}
			var b bytes.Buffer
			if err := views.FeedEntry(s.feedItem(p)).Render(ctx, &b); err != nil {
				return feedMessage{}, false
			}
			return feedMessage{ID: p.ID, Status: string(p.Status), Version: p.Version, HTML: b.String()}, true
		}
		next := func(u payments.Update) (feedMessage, bool) {
			if u.Version <= seen[u.PaymentID] {
				return feedMessage{}, false
			}
			p, err := s.svc.Get(ctx, u.PaymentID)
			if err != nil {
				return feedMessage{}, false
			}
			return entry(p)
		}
		newest := func() ([]payments.Payment, bool) {
			page, err := s.svc.List(ctx, payments.ListInput{Limit: feedCatchUp})
			if err != nil {
				s.log.Warn("feed: catch-up read", "request_id", requestID(c), "err", err)
				return nil, false
			}
			return page.Payments, true
		}
		if ps, ok := newest(); ok { // after subscribing: what the page shows, or newer
			for _, p := range ps {
				window[p.ID] = p.Version
			}
		}
		catchUp := func() []feedMessage {
			ps, ok := newest()
			if !ok {
				return nil // the next catch-up tries again
			}
			var send []payments.Payment
			had := window
			window = make(map[string]int64, len(ps))
			for _, p := range ps {
				if p.Version > max(had[p.ID], seen[p.ID]) {
					send = append(send, p)
				}
				window[p.ID] = max(had[p.ID], p.Version)
			}
			var out []feedMessage
			for _, p := range slices.Backward(send) { // oldest first: each goes to the top
				if m, ok := entry(p); ok {
					out = append(out, m)
				}
			}
			return out
		}
		live := func() bool {
			return !errors.Is(s.opts.Accounts.Live(ctx, sid), accounts.ErrSessionEnded)
		}
		serveFeed(conn, sub, next, catchUp, live)
	}
}

// serveFeed runs one feed connection: a reader that discards input and
// notices the close, and this writer loop. next turns a hub update into
// its message, if it is to be sent; catchUp returns what to send when the
// hub asks the feed to catch up from the store.
func serveFeed(conn *websocket.Conn, sub *hub.Subscription, next func(payments.Update) (feedMessage, bool),
	catchUp func() []feedMessage, live func() bool) {
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
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	check := time.NewTicker(feedLiveEvery)
	defer check.Stop()
	for {
		select {
		case <-check.C:
			if !live() {
				closeWith(websocket.ClosePolicyViolation, "session ended")
				return
			}
		case u, ok := <-sub.C:
			if !ok {
				closeWith(websocket.CloseGoingAway, "reconnect")
				return
			}
			m, ok := next(u)
			if !ok {
				continue
			}
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if conn.WriteJSON(m) != nil {
				return
			}
		case <-sub.Stale:
			for _, m := range catchUp() {
				_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
				if conn.WriteJSON(m) != nil {
					return
				}
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

// socketTokenOK checks a socket token under the current key, or under an
// earlier one while HPP_SESSION_KEY is rotated (a page opened before).
func (s *Server) socketTokenOK(paymentID, tok string) bool {
	now := s.opts.Now()
	if checkSocketToken(s.opts.TokenKey, paymentID, tok, now) {
		return true
	}
	for _, k := range s.opts.OldTokenKeys {
		if checkSocketToken(k, paymentID, tok, now) {
			return true
		}
	}
	return false
}
