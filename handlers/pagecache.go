package handlers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// The checkout page's rendered bytes, kept per payment version.
//
// A shopper's browser, the harness and a reload all ask for the same
// page again and again while the payment stands still, and rendering it
// (view model, localised text, money formatting, templ) was nine tenths
// of the handler's CPU in a profile of BenchmarkCheckoutShowChooser. So
// the page is rendered once per (payment id, payment version, language,
// whether the language was chosen, device class, query) and kept as
// segments: the bytes between the two things that must differ on every
// response, the CSP nonce (headers.go) and the masked socket token
// (token.go: masked afresh per response against BREACH). Each response
// writes the segments with a fresh nonce and a fresh token between them.
//
// Correctness rests on the payment's version: every store write that
// changes a payment, its attempts or its refunds gives it a new version
// (payments.Store), and the page reads the payment before it looks in
// the cache, so a state change, a new QR or a cancel finds no entry for
// its version and renders anew. Everything else the page shows is fixed
// for the life of the server (merchant name, theme, methods, assets) or
// part of the key. Only plain requests are cached: GET, status 200, no
// error message, the checkout path itself with no query or exactly
// ?lang=<a supported tag>; anything else (?choose=1, embed_origin, a
// return from Latipay) renders as before. The markers standing for the
// nonce and the token are random per server, so no merchant text can
// contain them.
//
// Size: at most pageCacheEntries payments, each holding a few variants
// of some 3 to 6 KB; when full, an arbitrary payment's entry is dropped.

// pageCacheEntries bounds the payments whose pages are kept.
const pageCacheEntries = 1024

// pageCacheVariants bounds the variants (language, device, query) kept
// per payment version.
const pageCacheVariants = 12

// pageKey is what else a cached page depends on besides its payment.
type pageKey struct {
	lang     string
	explicit bool
	device   payments.Device
	query    string // "" or "lang=<tag>"
}

// pageParts is one rendered page: the bytes around each hole, and what
// goes in each hole (partNonce or partToken).
type pageParts struct {
	segs  [][]byte // len(holes)+1
	holes []byte
	size  int // the bytes of segs
}

const (
	partNonce = 'n'
	partToken = 't'
)

type pageEntry struct {
	version  int64
	variants map[pageKey]*pageParts
}

// pageCache holds the rendered checkout pages. It is safe for concurrent
// use.
type pageCache struct {
	nonceMark, tokenMark string // random markers rendered in place of the holes

	mu    sync.RWMutex
	pages map[string]*pageEntry // by payment id
}

func newPageCache() *pageCache {
	var b [24]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	h := hex.EncodeToString(b[:])
	return &pageCache{nonceMark: "n" + h[:23], tokenMark: "t" + h[24:], pages: map[string]*pageEntry{}}
}

// get returns the page of payment id at version with key k, if kept.
func (pc *pageCache) get(id string, version int64, k pageKey) (*pageParts, bool) {
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	e := pc.pages[id]
	if e == nil || e.version != version {
		return nil, false
	}
	p, ok := e.variants[k]
	return p, ok
}

// put keeps a page. A page of an older version than the one kept is
// dropped (a slow render must not put back a superseded state); a newer
// version replaces the payment's entry.
func (pc *pageCache) put(id string, version int64, k pageKey, p *pageParts) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	e := pc.pages[id]
	switch {
	case e != nil && e.version > version:
		return
	case e == nil || e.version < version:
		if e == nil && len(pc.pages) >= pageCacheEntries {
			for other := range pc.pages { // an arbitrary one
				delete(pc.pages, other)
				break
			}
		}
		e = &pageEntry{version: version, variants: map[pageKey]*pageParts{}}
		pc.pages[id] = e
	}
	if len(e.variants) >= pageCacheVariants {
		clear(e.variants)
	}
	e.variants[k] = p
}

// split cuts a page rendered with the markers into its parts.
func (pc *pageCache) split(page []byte) *pageParts {
	page = bytes.Clone(page)
	out := &pageParts{}
	n, t := []byte(pc.nonceMark), []byte(pc.tokenMark)
	for {
		i, j := bytes.Index(page, n), bytes.Index(page, t)
		hole, at, l := byte(partNonce), i, len(n)
		if j >= 0 && (i < 0 || j < i) {
			hole, at, l = partToken, j, len(t)
		}
		if at < 0 {
			break
		}
		out.segs = append(out.segs, page[:at:at])
		out.holes = append(out.holes, hole)
		out.size += at
		page = page[at+l:]
	}
	out.segs = append(out.segs, page)
	out.size += len(page)
	return out
}

// cacheablePage reports whether the checkout request c can be answered
// from the cache, and with which key.
func (s *Server) cacheablePage(c *gin.Context, p payments.Payment) (pageKey, bool) {
	r := c.Request
	if id, ok := strings.CutPrefix(r.URL.Path, "/checkout/"); r.Method != http.MethodGet || !ok || id != p.ID { // CheckoutPath(p.ID), without building it
		return pageKey{}, false
	}
	q := r.URL.RawQuery
	if q != "" {
		tag, ok := strings.CutPrefix(q, langParam+"=")
		if !ok || !slices.Contains(views.Languages(), tag) {
			return pageKey{}, false
		}
	}
	lang, explicit := s.resolveLang(c)
	return pageKey{lang: lang, explicit: explicit, device: deviceOf(r.UserAgent()), query: q}, true
}

// renderCheckoutCached answers a plain checkout request from the cache,
// rendering and keeping the page on a miss. It reports false when the
// request is not a plain one; the caller renders it as usual.
func (s *Server) renderCheckoutCached(c *gin.Context, svc checkoutReader, p payments.Payment) bool {
	k, ok := s.cacheablePage(c, p)
	if !ok {
		return false
	}
	parts, ok := s.pages.get(p.ID, p.Version, k)
	if !ok {
		vm := s.checkoutVM(c, svc, p, "")
		vm.SocketURL = CheckoutPath(p.ID) + "/ws?t=" + s.pages.tokenMark
		buf := s.getPageBuf()
		defer s.putPageBuf(buf)
		if err := views.CheckoutPage(vm).Render(s.pageContext(c, s.pages.nonceMark), buf); err != nil {
			s.log.Error("render", "request_id", requestID(c), "err", err)
			return false
		}
		parts = s.pages.split(buf.Bytes())
		s.pages.put(p.ID, p.Version, k, parts)
	}
	s.rememberLang(c)
	s.htmlHead(c)
	nonce := state(c).nonce
	out := s.getPageBuf()
	defer s.putPageBuf(out)
	out.Grow(parts.size + len(parts.holes)*128) // a token is 100 bytes, a nonce 24
	b := out.AvailableBuffer()
	now := s.opts.Now()
	for i, seg := range parts.segs {
		b = append(b, seg...)
		if i == len(parts.holes) {
			break
		}
		switch parts.holes[i] {
		case partNonce:
			b = append(b, nonce...)
		case partToken:
			b = s.tokens.appendMaskedToken(b, p.ID, now)
		}
	}
	c.Writer.Header()["Content-Length"] = []string{strconv.Itoa(len(b))}
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(b)
	return true
}
