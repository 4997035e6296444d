package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

// TestSetupRefusalsSayWhatWorks: a setup link that cannot make the owner
// (mistyped, or expired) says, in each language, what a person can do
// that works now that every printed link stays valid until an owner
// exists: use another link printed within the last 24 hours, or start
// the server again, which prints a new link without voiding the others;
// not that a restart is needed to get "a new one". The test then does
// what the page says: a link printed earlier and not expired works, and
// so does the one a new start prints.
func TestSetupRefusalsSayWhatWorks(t *testing.T) {
	a := newAdminApp(t)
	for _, acct := range mustAccounts(t, a) { // setup needs a shop with no account
		if err := a.Store.DeleteAccount(t.Context(), acct.ID); err != nil {
			t.Fatal(err)
		}
	}
	printLink := func() string { // a start of the server printing its link
		t.Helper()
		tok, err := a.acc.NewSetupToken(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	old := printLink()
	a.Clock.Advance(accounts.SetupTokenTTL / 2)
	recent := printLink()
	a.Clock.Advance(accounts.SetupTokenTTL/2 + time.Minute) // old has expired; recent has not

	// What each language must say of the other links and of a new start.
	says := map[string]struct{ log, others string }{
		views.LangEnglish:            {"prints a new", "last 24 hours works until the owner account is created"},
		views.LangSimplifiedChinese:  {"在日志中输出一个新链接", "店主账户创建之前都有效"},
		views.LangTraditionalChinese: {"在日誌中輸出一個新連結", "店主帳戶建立之前都有效"},
	}
	restart := map[string]string{
		views.LangEnglish:            "Restart the server to get a new one",
		views.LangSimplifiedChinese:  "请重启服务器以获取新链接",
		views.LangTraditionalChinese: "請重新啟動伺服器以取得新連結",
	}
	for lang, want := range says {
		for _, tc := range []struct {
			token, others string
			status        int
		}{
			{"wrong" + recent, want.others, http.StatusForbidden},
			{old, "", http.StatusGone},
		} {
			w := a.do(t, http.MethodGet, "/admin/setup?lang="+lang+"&token="+url.QueryEscape(tc.token), nil, nil)
			msg := strings.TrimSpace(mustDoc(t, w).Find(`[data-testid="form-error"]`).Text())
			if w.Code != tc.status || !strings.Contains(msg, want.log) || !strings.Contains(msg, tc.others) ||
				strings.Contains(msg, restart[lang]) {
				t.Errorf("%s, setup link refused %d: says %q; want %d, that each start prints a new link (%q) and the others still work (%q)",
					lang, w.Code, msg, tc.status, want.log, tc.others)
			}
		}
	}
	// As it says: the recent link works, and so does a new start's.
	for _, tok := range []string{recent, printLink()} {
		w := a.do(t, http.MethodGet, "/admin/setup?token="+url.QueryEscape(tok), nil, nil)
		if w.Code != http.StatusOK || mustDoc(t, w).Find(`[data-testid="setup-form"]`).Length() != 1 {
			t.Errorf("a link the refusal points to = %d, want the form", w.Code)
		}
	}
}
