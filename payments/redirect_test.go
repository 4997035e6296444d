package payments_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestOpenRedirectPayloads is P0 10 (e2e/README.md): return and cancel URLs must
// be absolute https URLs on a registered origin. The refused payloads are
// seeded from PayloadsAllTheThings' "Open Redirect" list.
func TestOpenRedirectPayloads(t *testing.T) {
	tests := []struct {
		url     string
		sandbox bool // AllowLocalhost, as in sandbox mode
		ok      bool
	}{
		{url: "https://good.example/thanks", ok: true},
		{url: "https://good.example/thanks?order=1&x=%20#done", ok: true},
		{url: "HTTPS://GOOD.EXAMPLE/thanks", ok: true},
		{url: "https://good.example:8443/thanks", ok: true}, // registered with its port
		{url: "http://localhost:3000/thanks", sandbox: true, ok: true},
		{url: "http://127.0.0.1:3000/thanks", sandbox: true, ok: true},

		{url: "javascript:alert(1)"},
		{url: "JaVaScRiPt:alert(1)"},
		{url: "java\tscript:alert(1)"},
		{url: "java\nscript:alert(1)"},
		{url: "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="},
		{url: "vbscript:msgbox(1)"},
		{url: "//evil.example"},
		{url: "///evil.example"},
		{url: "/\\evil.example"},
		{url: "\\\\evil.example"},
		{url: "https:evil.example"},
		{url: "https:/evil.example"},
		{url: "https://good.example@evil.example"},
		{url: "https://good.example:443@evil.example"},
		{url: "https://evil.example\\@good.example"},
		{url: "https://evil.example%5C@good.example"},
		{url: "https://evil.example%40good.example"},
		{url: "https://good.example.evil.example"},
		{url: "https://evilgood.example"},
		{url: "https://good.example.", ok: false},
		{url: "https://evil.example/#https://good.example"},
		{url: "https://evil.example/?next=https://good.example"},
		{url: "https://good.example/\r\nLocation: https://evil.example"},
		{url: "https://good.example/%0d%0aLocation:%20https://evil.example", ok: true}, // encoded: only a path
		{url: "https://user:pass@good.example/"},
		{url: "https://good.example:9999/"},
		{url: "https://xn--gd-good-5ve.example/"},
		{url: "https://gооd.example/"}, // Cyrillic о
		{url: "https://good。example/"},
		{url: "https://good.example%2F@evil.example"},
		{url: "http://good.example/"},
		{url: "ftp://good.example/"},
		{url: " https://good.example/"},
		{url: "https://good.example\x00.evil.example/"},
		{url: "https://[::1]/"},
		{url: "https://0x7f000001/"},
		{url: "http://localhost:3000/thanks"}, // not in sandbox
		{url: "http://localhost.evil.example/", sandbox: true},
		{url: "http://127.0.0.1.nip.io/", sandbox: true},
		{url: "http://localhost@evil.example/", sandbox: true},
		{url: "/relative/path"},
		{url: "evil.example"},
	}
	envs := map[bool]*paymentstest.Env{}
	for _, sandbox := range []bool{false, true} {
		envs[sandbox] = paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{
			MerchantOrigins: []string{"https://good.example", "https://good.example:8443"}, AllowLocalhost: sandbox}})
	}
	for _, tt := range tests {
		for _, field := range []string{"return_url", "cancel_url"} {
			in := paymentstest.Input("ORDER-REDIRECT")
			if field == "return_url" {
				in.ReturnURL = tt.url
			} else {
				in.ReturnURL, in.CancelURL = "https://good.example/r", tt.url
			}
			_, _, err := envs[tt.sandbox].Svc.Create(context.Background(), in, "")
			if tt.ok && err != nil {
				t.Errorf("%s %q (sandbox %v) refused: %v", field, tt.url, tt.sandbox, err)
			}
			if !tt.ok && !errors.Is(err, payments.ErrInvalid) {
				t.Errorf("%s %q (sandbox %v) = %v, want refused", field, tt.url, tt.sandbox, err)
			}
			var ve *payments.ValidationError
			if !tt.ok && errors.As(err, &ve) && !strings.Contains(strings.Join(ve.Problems, ";"), field) {
				t.Errorf("%s %q: problems %q do not name the field", field, tt.url, ve.Problems)
			}
		}
	}
}

func TestSignedRedirect(t *testing.T) {
	now := time.Unix(1_760_000_000, 0)
	p := payments.Payment{ID: "pay_0123456789abcdefghjkmnpqrs", Reference: "ORDER 7&x", Status: payments.StatusPaid,
		Amount: 1250, Currency: payments.NZD}
	raw := payments.SignedRedirect("https://shop.example/thanks?cart=9&status=forged&sig=old", p, "s3cret", now)
	u, err := url.Parse(raw)
	if err != nil || u.Host != "shop.example" || u.Path != "/thanks" {
		t.Fatalf("SignedRedirect = %q, %v", raw, err)
	}
	q := u.Query()
	for k, want := range map[string]string{"payment_id": p.ID, "reference": "ORDER 7&x", "status": "paid",
		"amount": "12.50", "currency": "NZD", "ts": "1760000000", "cart": "9"} {
		if got := q.Get(k); got != want || len(q[k]) != 1 {
			t.Errorf("%s = %q, want %q", k, q[k], want)
		}
	}
	// The documented message: every parameter but sig, sorted, names and
	// values percent-encoded but for A-Z a-z 0-9 - . _ ~.
	msg := "amount=12.50&cart=9&currency=NZD&payment_id=" + p.ID + "&reference=ORDER%207%26x&status=paid&ts=1760000000"
	if got := payments.RedirectMessage(q); got != msg {
		t.Errorf("message = %q, want %q", got, msg)
	}
	// printf '%s' "$msg" | openssl dgst -sha256 -hmac s3cret, as the README's snippet does
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(msg))
	if q.Get("sig") != hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("sig = %q, want HMAC of the message", q.Get("sig"))
	}
	id, st, err := payments.VerifyRedirect(q, []string{"other", "s3cret"}, now.Add(time.Minute), 5*time.Minute)
	if err != nil || id != p.ID || st != payments.StatusPaid {
		t.Errorf("VerifyRedirect = %q, %q, %v", id, st, err)
	}
	for name, mut := range map[string]func(url.Values){
		"status changed": func(q url.Values) { q.Set("status", "paid2") },
		"param added":    func(q url.Values) { q.Set("extra", "1") },
		"no sig":         func(q url.Values) { q.Del("sig") },
		"two sigs":       func(q url.Values) { q.Add("sig", q.Get("sig")) },
	} {
		c := url.Values{}
		for k, v := range q {
			c[k] = append([]string(nil), v...)
		}
		mut(c)
		if _, _, err := payments.VerifyRedirect(c, []string{"s3cret"}, now, time.Minute); !errors.Is(err, payments.ErrRedirectSignature) {
			t.Errorf("%s: VerifyRedirect = %v, want ErrRedirectSignature", name, err)
		}
	}
	if _, _, err := payments.VerifyRedirect(q, []string{"s3cret"}, now.Add(time.Hour), time.Minute); !errors.Is(err, payments.ErrRedirectSignature) {
		t.Errorf("stale: VerifyRedirect = %v, want ErrRedirectSignature", err)
	}
}

// TestLinkMessageCannotBeResplit: a signed link's parameters cannot be
// re-split into others under the same signature. The attacks are the two
// that worked on the unescaped form: moving "&exp=<past>" into
// description (an expired link opened a fresh payment) and moving
// "&method=..." into description (dropping the merchant's forced method).
func TestLinkMessageCannotBeResplit(t *testing.T) {
	const secret = "link-secret-for-tests"
	now := time.Unix(1_800_000_000, 0)
	signed := func(q url.Values) url.Values {
		q.Set("sig", payments.SignLink(secret, q))
		return q
	}
	base := func() url.Values {
		return url.Values{"amount": {"12.50"}, "currency": {"NZD"}, "reference": {"ORDER-1"},
			"return_url": {"https://shop.example.com/thanks"}}
	}
	expired := base()
	expired.Set("description", "Mug")
	expired.Set("exp", "1700000000")
	expired = signed(expired)
	if _, err := payments.VerifyLink(secret, expired, now); !errors.Is(err, payments.ErrLinkExpired) {
		t.Fatalf("VerifyLink(expired) = %v, want ErrLinkExpired", err)
	}
	forced := base()
	forced.Set("description", "Tea")
	forced.Set("method", "wechat")
	forced = signed(forced)
	if in, err := payments.VerifyLink(secret, forced, now); err != nil || in.Method != "wechat" {
		t.Fatalf("VerifyLink(forced method) = %+v, %v", in, err)
	}

	for name, tc := range map[string]struct {
		from  url.Values
		moved string // the parameter folded into description
	}{"exp into description": {expired, "exp"}, "method into description": {forced, "method"}} {
		t.Run(name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range tc.from {
				q[k] = v
			}
			q.Set("description", q.Get("description")+"&"+tc.moved+"="+q.Get(tc.moved))
			q.Del(tc.moved)
			if in, err := payments.VerifyLink(secret, q, now); !errors.Is(err, payments.ErrLinkSignature) {
				t.Errorf("VerifyLink(%s) = %+v, %v, want ErrLinkSignature", q.Encode(), in, err)
			}
		})
	}

	// The documented form: names and values escaped, nothing else.
	q := url.Values{"reference": {"A&b=c d/é~"}, "amount": {"1.00"}, "sig": {"x"}}
	if got, want := payments.LinkMessage(q), "amount=1.00&reference=A%26b%3Dc%20d%2F%C3%A9~"; got != want {
		t.Errorf("LinkMessage = %q, want %q", got, want)
	}
	if strings.Count(payments.LinkMessage(expired), "&") != len(expired)-2 {
		t.Errorf("message %q has an & inside a value", payments.LinkMessage(expired))
	}
}

// TestSignedRedirectCannotBeResplit: a reference holding "&" and "="
// (the merchant passes on what the shopper typed) cannot move a canceled
// payment's signature onto a query saying paid. Signed over unescaped
// values, the forged query below signs the same text as the real one.
func TestSignedRedirectCannotBeResplit(t *testing.T) {
	now := time.Unix(1_760_000_000, 0)
	p := payments.Payment{ID: "pay_0123456789abcdefghjkmnpqrs", Reference: "x&status=paid&ts=1760001800&tz=",
		Status: payments.StatusCanceled, Amount: 1250, Currency: payments.NZD}
	u, err := url.Parse(payments.SignedRedirect("https://shop.example/back", p, "s3cret", now))
	if err != nil {
		t.Fatal(err)
	}
	real := u.Query()
	if _, st, err := payments.VerifyRedirect(real, []string{"s3cret"}, now, time.Hour); err != nil || st != payments.StatusCanceled {
		t.Fatalf("the real redirect = %q, %v; want canceled", st, err)
	}
	// Move the boundaries: reference "x", status paid, and the real
	// status and ts hidden in a parameter "tz" that sorts after them.
	forged := url.Values{
		"amount": {"12.50"}, "currency": {"NZD"}, "payment_id": {p.ID},
		"reference": {"x"}, "status": {"paid"}, "ts": {"1760001800"},
		"tz":  {"&status=canceled&ts=" + real.Get("ts")},
		"sig": {real.Get("sig")},
	}
	if id, st, err := payments.VerifyRedirect(forged, []string{"s3cret"}, now, time.Hour); err == nil {
		t.Errorf("the re-split redirect verified: %q %q; want ErrRedirectSignature", id, st)
	}
}
