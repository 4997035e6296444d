package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/payments/paymentstest/needs"
)

// The browser tests drive Debian's Chromium through chromedp against the
// built binary in sandbox mode. Everything here is prefixed "browser" so it
// stays apart from the HTTP-level e2e helpers.

const (
	browserAPIKey     = "e2e-browser-api-key-0123456789abcdef"
	browserLinkSecret = "e2e-browser-link-secret-0123456789abcdef"
	// browserMaxWeight is the budget for the checkout page's HTML, CSS
	// and JS as transferred, headers included.
	browserMaxWeight = 30 << 10
)

// browserChromium finds the browser, or skips the test with how to install
// it; in CI (CI=true) a missing browser fails the test instead.
func browserChromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	needs.Missing(t, "Chromium", "apt-get install -y chromium")
	return ""
}

// browserApp is one running instance of the binary (started by startApp,
// which TestMain's build feeds), with the merchant calls the browser tests
// make around the shopper's page.
type browserApp struct {
	URL string // public URL, http://127.0.0.1:port
	*app
}

// browserStartApp starts the binary in sandbox mode on a free loopback
// port, with known merchant API key and link secret, and a fast reconcile
// loop. env adds or overrides variables (NAME=value).
func browserStartApp(t testing.TB, env ...string) *browserApp {
	t.Helper()
	return browserStartBin(t, "", env...)
}

// browserStartBin is browserStartApp running bin, a build with test tags
// (mainBinary); "" is the default build.
func browserStartBin(t testing.TB, bin string, env ...string) *browserApp {
	t.Helper()
	vars := map[string]string{
		"HPP_API_KEY":            browserAPIKey,
		"HPP_LINK_SECRET":        browserLinkSecret,
		"HPP_MERCHANT_NAME":      "Kiwi Tea Co",
		"HPP_RECONCILE_INTERVAL": "500ms",
		"HPP_LOG_LEVEL":          "warn",
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if bin == "" {
		bin = mainBinary(t, "")
	}
	addr := freeAddr(t)
	a := startBinAt(t, bin, addr, "http://"+addr, nil, vars)
	return &browserApp{URL: a.URL, app: a}
}

// browserPaying starts an app (browserStartApp), creates a payment with
// the defaults and opens a browser: the start of most browser scenarios.
func browserPaying(t *testing.T) (*browserApp, paymentstest.APIPayment, *browserSession) {
	t.Helper()
	app := browserStartApp(t)
	p := app.createPayment(t, nil)
	return app, p, browserNew(t, app)
}

// createPayment creates a payment through the merchant API; fields are
// merged over a default NZD 12.50 order returning to the app's /shop page.
func (a *browserApp) createPayment(t testing.TB, fields map[string]any) paymentstest.APIPayment {
	t.Helper()
	body := map[string]any{"amount": "12.50", "currency": "NZD", "reference": fmt.Sprintf("B-%d", time.Now().UnixNano()),
		"description": "Two boxes of green tea", "return_url": a.URL + "/shop/thanks"}
	for k, v := range fields {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/v1/payments", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+browserAPIKey)
	req.Header.Set("Content-Type", "application/json")
	var p paymentstest.APIPayment
	a.do(t, req, http.StatusCreated, &p)
	return p
}

// payment reads a payment through the merchant API.
func (a *browserApp) payment(t testing.TB, id string) paymentstest.APIPayment {
	t.Helper()
	var p paymentstest.APIPayment
	a.do(t, apiGet(a.URL, browserAPIKey, "/api/v1/payments/"+id), http.StatusOK, &p)
	return p
}

// simulate completes an attempt through the simulator's control endpoint,
// as Latipay would after the shopper scanned: status is paid or failed.
func (a *browserApp) simulate(t testing.TB, reference, status string) {
	t.Helper()
	form := url.Values{"merchant_reference": {reference}, "status": {status}}
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/sandbox/latipay/simulate", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	a.do(t, req, http.StatusOK, nil)
}

// waitPayment polls the merchant API until the payment has status want.
func (a *browserApp) waitPayment(t testing.TB, id, want string, within time.Duration) paymentstest.APIPayment {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		p := a.payment(t, id)
		if p.Status == want {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("merchant API status = %q after %v, want %q", p.Status, within, want)
		}
		time.Sleep(50 * time.Millisecond) // polling the API with a deadline
	}
}

// faults sets the sandbox simulator's fault switches (JSON as its
// POST /faults takes, such as {"server_error": true}).
func (a *browserApp) faults(t testing.TB, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/sandbox/latipay/faults", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	a.do(t, req, http.StatusOK, nil)
}

func (a *browserApp) do(t testing.TB, req *http.Request, want int, into any) {
	t.Helper()
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("%s %s: decode %s: %v", req.Method, req.URL.Path, b, err)
		}
	}
}

// browserRecorder keeps what the page did on the network and the console,
// for the checks every test makes. Its listen method runs on chromedp's
// event loop, so it only appends under the lock.
type browserRecorder struct {
	mu        sync.Mutex
	requests  map[network.RequestID]*browserRequest
	order     []network.RequestID
	sockets   []string
	navs      int                        // main-frame navigations so far
	socketNav map[network.RequestID]int  // the navigation each websocket belongs to
	open      map[network.RequestID]bool // websockets whose handshake succeeded, not yet closed
	problems  []string                   // console errors, exceptions, error log entries
	documents []*network.Response
	accept    map[network.RequestID]string // the Accept-Encoding each request was sent with
}

// browserRequest is one request the page made.
type browserRequest struct {
	URL      string
	Type     network.ResourceType
	Status   int64
	Encoded  float64 // bytes on the wire, headers included
	Accept   string  // the Accept-Encoding Chromium sent (filled in by checkoutParts)
	Coding   string  // the response's Content-Encoding
	Failed   string  // errorText of loadingFailed
	Canceled bool
}

func (r *browserRecorder) listen(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	req := func(id network.RequestID) *browserRequest {
		q := r.requests[id]
		if q == nil {
			q = &browserRequest{}
			r.requests[id] = q
			r.order = append(r.order, id)
		}
		return q
	}
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		q := req(ev.RequestID)
		q.URL, q.Type = ev.Request.URL, ev.Type
	case *network.EventRequestWillBeSentExtraInfo:
		// The headers as sent, with those the network stack adds; they
		// may come first, and for requests the checks do not follow.
		r.accept[ev.RequestID] = headerValue(ev.Headers, "Accept-Encoding")
	case *network.EventResponseReceived:
		q := req(ev.RequestID)
		q.Status, q.Type = ev.Response.Status, ev.Type
		q.Coding = headerValue(ev.Response.Headers, "Content-Encoding")
		if ev.Type == network.ResourceTypeDocument {
			r.documents = append(r.documents, ev.Response)
		}
	case *network.EventLoadingFinished:
		q := req(ev.RequestID)
		q.Encoded = ev.EncodedDataLength
	case *network.EventLoadingFailed:
		q := req(ev.RequestID)
		q.Failed, q.Canceled = ev.ErrorText, ev.Canceled
	case *page.EventFrameNavigated:
		if ev.Frame != nil && ev.Frame.ParentID == "" {
			r.navs++
		}
	case *network.EventWebSocketCreated:
		r.sockets = append(r.sockets, ev.URL)
		r.socketNav[ev.RequestID] = r.navs
	case *network.EventWebSocketHandshakeResponseReceived:
		if ev.Response != nil && ev.Response.Status == http.StatusSwitchingProtocols {
			r.open[ev.RequestID] = true
		}
	case *network.EventWebSocketClosed:
		delete(r.open, ev.RequestID)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			r.problems = append(r.problems, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		r.problems = append(r.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			r.problems = append(r.problems, fmt.Sprintf("log %s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	}
}

// browserChecks says what a test expects beyond a clean page.
type browserChecks struct {
	// documentStatus is the HTTP status pages may be served with besides
	// 2xx and 3xx (the bad-link pages).
	documentStatus map[int64]bool
	// offline is a network error the test caused on purpose.
	offline string
	// fetched is the status a script's request to a path may be answered
	// with on purpose (a pay code Latipay refuses is a 422).
	fetched map[string]int64
}

// check asserts the rules every browser test shares: every request goes to
// the app's own origin (the sandbox simulator is mounted there too), nothing
// failed, and nothing went to the console as an error.
func (r *browserRecorder) check(t testing.TB, origin string, c browserChecks) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	ws := "ws" + strings.TrimPrefix(origin, "http")
	for _, id := range r.order {
		q := r.requests[id]
		switch {
		case strings.HasPrefix(q.URL, "data:"):
		case !sameOrigin(q.URL, origin):
			t.Errorf("request to another origin: %s %s", q.Type, q.URL)
		}
		switch {
		case q.Failed == c.offline && c.offline != "":
		case q.Failed != "" && !q.Canceled:
			t.Errorf("request failed: %s %s: %s", q.Type, q.URL, q.Failed)
		case q.Status >= 400 && q.Type == network.ResourceTypeFetch && c.fetched[urlPath(q.URL)] == q.Status:
		case q.Status >= 400 && !(q.Type == network.ResourceTypeDocument && c.documentStatus[q.Status]):
			t.Errorf("request answered %d: %s %s", q.Status, q.Type, q.URL)
		}
	}
	for _, s := range r.sockets {
		if !sameOrigin(s, ws) {
			t.Errorf("websocket to another origin: %s", s)
		}
	}
	for _, p := range r.problems {
		switch {
		case c.offline != "" && strings.Contains(p, c.offline):
		case strings.HasPrefix(p, "log network: Failed to load resource: the server responded with a status of ") && documentStatusIn(p, c.documentStatus):
		case strings.HasPrefix(p, "log network: Failed to load resource: the server responded with a status of ") && fetchedIn(p, c.fetched):
		default:
			t.Errorf("page problem: %s", p)
		}
	}
}

func documentStatusIn(msg string, ok map[int64]bool) bool {
	for s := range ok {
		if strings.Contains(msg, fmt.Sprintf("status of %d ", s)) {
			return true
		}
	}
	return false
}

// fetchedIn reports whether msg names a status browserChecks.fetched
// allows.
func fetchedIn(msg string, ok map[string]int64) bool {
	for _, s := range ok {
		if strings.Contains(msg, fmt.Sprintf("status of %d ", s)) {
			return true
		}
	}
	return false
}

func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

func sameOrigin(raw, origin string) bool {
	u, err := url.Parse(raw)
	o, _ := url.Parse(origin)
	return err == nil && u.Scheme == o.Scheme && u.Host == o.Host
}

// headerValue reads a header from the DevTools protocol's map, whatever
// the case of its name.
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// checkoutWeight is the bytes on the wire of the checkout page's HTML, CSS
// and JS, the largest load of each URL counted once (a later load may come
// from the cache); images, such as the QR, are left out.
func (r *browserRecorder) checkoutWeight() (wire int64, ok bool) {
	parts := r.checkoutParts()
	for _, q := range parts {
		wire += int64(q.Encoded)
	}
	return wire, len(parts) > 0 && parts[0].Type == network.ResourceTypeDocument
}

// checkoutParts are the requests checkoutWeight counts, the page first.
func (r *browserRecorder) checkoutParts() []browserRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]*browserRequest{}
	for _, id := range r.order {
		q := r.requests[id]
		u, err := url.Parse(q.URL)
		if err != nil || q.Status != http.StatusOK {
			continue
		}
		q.Accept = r.accept[id]
		switch {
		case q.Type == network.ResourceTypeDocument && strings.HasPrefix(u.Path, "/checkout/"):
			// one page: the largest document counts.
			if d := seen["doc"]; d == nil || q.Encoded > d.Encoded {
				seen["doc"] = q
			}
		case q.Type == network.ResourceTypeStylesheet || q.Type == network.ResourceTypeScript:
			if d := seen[q.URL]; d == nil || q.Encoded > d.Encoded {
				seen[q.URL] = q
			}
		}
	}
	var out []browserRequest
	if d := seen["doc"]; d != nil {
		out = append(out, *d)
	}
	for k, q := range seen {
		if k != "doc" {
			out = append(out, *q)
		}
	}
	return out
}

// socketCount is how many websockets the page created.
func (r *browserRecorder) socketCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sockets)
}

// openSockets is how many websockets the current page has open.
func (r *browserRecorder) openSockets() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for id := range r.open {
		if r.socketNav[id] == r.navs {
			n++
		}
	}
	return n
}

// documentStatus is the status of the last page document that came back.
func (r *browserRecorder) documentStatus() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.documents) == 0 {
		return 0
	}
	return r.documents[len(r.documents)-1].Status
}

// browserSession is one Chromium with one tab, and what it saw.
type browserSession struct {
	ctx context.Context // the tab; actions run with deadlines derived from it
	rec *browserRecorder
	app *browserApp
}

// browserNew starts a fresh headless Chromium for one test, with a tab that
// records its network and console events. The browser ends with the test.
func browserNew(t *testing.T, app *browserApp) *browserSession {
	t.Helper()
	path := browserChromium(t)
	dir := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox, // the tests run as root
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	rec := &browserRecorder{requests: map[network.RequestID]*browserRequest{},
		socketNav: map[network.RequestID]int{}, open: map[network.RequestID]bool{}, accept: map[network.RequestID]string{}}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(rec.listen))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	start, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	go func() {
		// The first Do binds the browser to ctx; this only bounds the wait.
		<-start.Done()
		if errors.Is(start.Err(), context.DeadlineExceeded) {
			cancel()
		}
	}()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browserSession{ctx: ctx, rec: rec, app: app}
}

// do runs actions with a deadline.
// devtools is one DevTools command with params on the tab's target, as
// an action for do (its answer dropped).
func devtools[P, R any](c cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, c, params)
		return err
	})
}

// adminDemoSignIn signs the browser in as the sandbox's demo owner, whose
// password start-up prints.
func adminDemoSignIn(t *testing.T, app *browserApp, b *browserSession) {
	t.Helper()
	line := app.printed(t, "sign in as ", "")
	email, pw, ok := strings.Cut(line, " with password ")
	if !ok {
		t.Fatalf("demo owner line %q", line)
	}
	b.do(t, 20*time.Second, chromedp.Navigate(app.URL+"/admin/signin?lang=en"),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), strings.TrimSpace(pw)),
		chromedp.Click(testid("signin")), chromedp.WaitVisible(testid("admin-nav")))
}

// printMedia switches the tab's CSS media to print (on) or back to the
// screen, as Chromium's print preview does.
func printMedia(on bool) chromedp.Action[chromedp.Void] {
	media := ""
	if on {
		media = "print"
	}
	return devtools(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
}

// scriptsOff turns the tab's JavaScript off (true) or back on: the page
// as a browser without scripts sees it.
func scriptsOff(off bool) chromedp.Action[chromedp.Void] {
	return devtools(emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
}

var (
	pdfPage     = regexp.MustCompile(`/Type\s*/Page[^s]`)
	pdfMediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]`)
)

// printPDF prints the current page to PDF as Chromium's print dialog
// would, with the page's own @page size and its backgrounds, and returns
// the first page's width and height in points (1 mm = 72/25.4 pt) and
// the number of pages.
func (b *browserSession) printPDF(t *testing.T) (widthPt, heightPt float64, pages int) {
	t.Helper()
	var pdf []byte
	yes := true
	b.do(t, 30*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
		pdf = r.Data
		return err
	}))
	box := pdfMediaBox.FindSubmatch(pdf)
	if box == nil {
		t.Fatalf("the printed PDF (%d bytes) has no MediaBox", len(pdf))
	}
	widthPt, _ = strconv.ParseFloat(string(box[1]), 64)
	heightPt, _ = strconv.ParseFloat(string(box[2]), 64)
	return widthPt, heightPt, len(pdfPage.FindAll(pdf, -1))
}

func (b *browserSession) do(t testing.TB, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page.
func browserEval[T any](t testing.TB, b *browserSession, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// attr reads an attribute of the first element matching the CSS selector.
func (b *browserSession) attr(t testing.TB, sel, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return res.Value
}

// text reads the visible text of the first element matching sel.
func (b *browserSession) text(t testing.TB, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitStatus waits until the page's status element says want, and returns
// how long that took.
func (b *browserSession) waitStatus(t testing.TB, want string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	sel := fmt.Sprintf(`[data-testid="status"][data-status=%q]`, want)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](
			`(document.querySelector('[data-testid="status"]')||{getAttribute(){return 'none'}}).getAttribute('data-status')`))
		t.Fatalf("status %q not shown within %v (page shows %q): %v", want, within, got, err)
	}
	return time.Since(start)
}

// waitSocket waits until the page's live socket is open, so what follows
// is pushed, not polled.
func (b *browserSession) waitSocket(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.rec.openSockets() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the page opened no websocket within 5s")
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline, not synchronising
	}
}

// screenshot writes the page to e2e/screenshots/<name>.png (git ignores the
// folder). With HPP_UPDATE_SCREENSHOTS=1 and readme set it also refreshes
// the committed copy in testdata/screenshots that e2e/README.md shows.
func (b *browserSession) screenshot(t testing.TB, name string, readme bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dirs := []string{"screenshots"}
	if readme && os.Getenv("HPP_UPDATE_SCREENSHOTS") == "1" {
		dirs = append(dirs, filepath.Join("testdata", "screenshots"))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// finish makes the checks every browser test shares and prints the page
// weight when a checkout page was loaded.
func (b *browserSession) finish(t *testing.T, c browserChecks) {
	t.Helper()
	b.rec.check(t, b.app.URL, c)
	wire, ok := b.rec.checkoutWeight()
	if !ok {
		return
	}
	t.Logf("checkout page weight (HTML+CSS+JS, no QR): %d bytes on the wire, headers included", wire)
	if wire >= browserMaxWeight {
		t.Errorf("checkout page weight = %d bytes, want < %d", wire, browserMaxWeight)
	}
}
