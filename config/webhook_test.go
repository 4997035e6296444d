package config

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestParseWebhook(t *testing.T) {
	long := "5c0e8a2f7d1b9e4a6c3f0d8b2e7a1c95"
	tests := []struct {
		url, secrets string
		sandbox      bool
		wantURL      string
		wantN        int
		wantErr      string
	}{
		{url: "", secrets: "", wantN: 0},
		{url: "https://shop.example.com/hook", secrets: long, wantURL: "https://shop.example.com/hook", wantN: 1},
		{url: "https://shop.example.com/hook", secrets: long + "1, " + long + "2", wantURL: "https://shop.example.com/hook", wantN: 2},
		{url: "https://shop.example.com/hook", secrets: "", wantErr: "HPP_WEBHOOK_SECRET"},
		{url: "https://shop.example.com/hook", secrets: "short", wantErr: "HPP_WEBHOOK_SECRET"},
		{url: "http://shop.example.com/hook", secrets: long, wantErr: "HPP_WEBHOOK_URL"},
		{url: "http://localhost:9000/hook", secrets: long, wantURL: "http://localhost:9000/hook", wantN: 1},
		{url: "http://shop.test/hook", secrets: "short", sandbox: true, wantURL: "http://shop.test/hook", wantN: 1},
		{url: "https://user:pw@shop.example.com/hook", secrets: long, wantErr: "HPP_WEBHOOK_URL: holds a user name or password (user:password@host): credentials in the URL are not accepted"},
		{url: "http://user:pw@shop.example.com/hook", secrets: long, wantErr: "HPP_WEBHOOK_URL: holds a user name or password"},
		{url: "ftp://shop.example.com/", secrets: long, wantErr: "HPP_WEBHOOK_URL"},
	}
	for _, tt := range tests {
		var errs []string
		bad := func(name, format string, args ...any) { errs = append(errs, name+": "+fmt.Sprintf(format, args...)) }
		u, s := parseWebhook(tt.url, Secret(tt.secrets), tt.sandbox, bad)
		got := strings.Join(errs, "; ")
		if tt.wantErr != "" {
			if !strings.Contains(got, tt.wantErr) {
				t.Errorf("parseWebhook(%q, %q) problems %q, want one about %s", tt.url, tt.secrets, got, tt.wantErr)
			}
			if strings.Contains(got, long) || strings.Contains(got, "short") {
				t.Errorf("a problem reveals the secret: %q", got)
			}
			continue
		}
		if got != "" || u != tt.wantURL || len(s) != tt.wantN {
			t.Errorf("parseWebhook(%q, %q) = %q, %d secrets, %q; want %q, %d", tt.url, tt.secrets, u, len(s), got, tt.wantURL, tt.wantN)
		}
	}
}

func TestLoadWebhook(t *testing.T) {
	env := map[string]string{"HPP_WEBHOOK_URL": "http://127.0.0.1:9/hook", "HPP_WEBHOOK_SECRET": "new-secret,old-secret"}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.WebhookURL != env["HPP_WEBHOOK_URL"] || strings.Join(Reveal(c.WebhookSecrets), ",") != "new-secret,old-secret" {
		t.Errorf("webhook config = %q %v", c.WebhookURL, Reveal(c.WebhookSecrets))
	}
	if s := fmt.Sprint(c.WebhookSecrets); strings.Contains(s, "secret") {
		t.Errorf("secrets print as %q", s)
	}
}

// TestWebhookURLMasked: an endpoint's query may carry its token, which
// check-config and the back office's Settings page (both Effective)
// showed in full while every other secret was masked. Each query value
// (a bare part too) and the fragment are masked, the scheme, host and
// path kept; a URL with credentials is refused for what it is ("must be
// an https URL" said of an https URL) without repeating them.
func TestWebhookURLMasked(t *testing.T) {
	for raw, want := range map[string]string{
		"https://hooks.example.com/in?token=Secret":            "https://hooks.example.com/in?token=xxxxx",
		"https://hooks.example.com/in?a=Secret&b=Secret2&Bare": "https://hooks.example.com/in?a=xxxxx&b=xxxxx&xxxxx",
		"https://hooks.example.com:8443/in/v1#Secret":          "https://hooks.example.com:8443/in/v1#xxxxx",
		"https://hooks.example.com/in":                         "https://hooks.example.com/in",
	} {
		getenv := liveEnv(map[string]string{"HPP_WEBHOOK_URL": raw})
		c, err := Load(getenv)
		if err != nil || c.WebhookURL != raw {
			t.Fatalf("HPP_WEBHOOK_URL=%s: %v, URL %q", raw, err, c.WebhookURL)
		}
		var shown string
		for _, kv := range c.Effective() {
			if kv[0] == "HPP_WEBHOOK_URL" {
				shown = kv[1]
			}
		}
		var out bytes.Buffer
		if err := Check(getenv, &out); err != nil || shown != want || strings.Contains(out.String(), "Secret") ||
			!strings.Contains(out.String(), want) {
			t.Errorf("HPP_WEBHOOK_URL=%s: shown as %q, want %q; check-config = %v:\n%s", raw, shown, want, err, out.String())
		}
	}
	var out bytes.Buffer
	err := Check(liveEnv(map[string]string{"HPP_WEBHOOK_URL": "https://user:Secret@hooks.example.com/in"}), &out)
	if err == nil || !strings.Contains(out.String(), "problem: HPP_WEBHOOK_URL: holds a user name or password") ||
		strings.Contains(out.String(), "must be an https URL") || strings.Contains(out.String(), "Secret") {
		t.Errorf("HPP_WEBHOOK_URL with credentials: check-config = %v:\n%s", err, out.String())
	}
}
