package handlers

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"

	"github.com/latipay-hpp/hpp/views"
)

// langParam is the query parameter that carries the shopper's explicit
// language choice through every link and form of ours, and through the
// return URL we give Latipay. A URL parameter, not a cookie, because
// inside a merchant's iframe third-party cookies are often blocked.
const langParam = "lang"

// langMatcher maps any one BCP 47 tag onto the supported languages:
// zh-CN, zh-SG and zh map to zh-Hans; zh-TW, zh-HK and zh-MO to zh-Hant.
// Give it one tag at a time (matchAccept says why).
func langMatcher() language.Matcher {
	tags := make([]language.Tag, 0, len(views.Languages()))
	for _, l := range views.Languages() {
		tags = append(tags, language.Make(l))
	}
	return language.NewMatcher(tags)
}

// matchLang maps one tag (in BCP 47 or WeChat's zh_CN spelling) onto a
// supported language; ok is false for anything unrecognised or foreign.
func matchLang(m language.Matcher, raw string) (string, bool) {
	raw = strings.ReplaceAll(strings.TrimSpace(raw), "_", "-")
	if raw == "" || len(raw) > 35 {
		return "", false
	}
	tag, err := language.Parse(raw)
	if err != nil {
		return "", false
	}
	_, i, conf := m.Match(tag)
	if conf == language.No {
		return "", false
	}
	return views.Languages()[i], true
}

// matchAccept picks the language of the first Accept-Language entry we
// support, each entry matched on its own. Matching the whole list at once
// lets a later entry win: Chrome in Hong Kong sends
// "zh-HK,zh;q=0.9,en-US;q=0.8", and the matcher scores the plain "zh" as
// an exact match for zh-Hans, ahead of zh-HK's close match for zh-Hant.
// The first entry's region or script decides the script the shopper
// reads: zh-HK, zh-MO, zh-TW and zh-Hant give Traditional; zh-CN, zh-SG,
// zh-Hans and zh give Simplified.
func matchAccept(m language.Matcher, tags []language.Tag) (string, bool) {
	for _, t := range tags {
		if _, i, conf := m.Match(t); conf != language.No {
			return views.Languages()[i], true
		}
	}
	return "", false
}

// uaLang reads the language the WeChat and Alipay in-app browsers put in
// their User-Agent: "Language/zh_CN" (WeChat), "Language/zh-Hans" (Alipay).
func uaLang(ua string) string {
	if !strings.Contains(ua, "MicroMessenger") && !strings.Contains(ua, "AlipayClient") {
		return ""
	}
	_, rest, ok := strings.Cut(ua, "Language/")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, " ;)"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// chooseLang picks the shopper's language: an explicit ?lang= first (also
// remembered in the optional session), then the session, then the
// language of WeChat's or Alipay's in-app browser, then Accept-Language,
// then English.
func (s *Server) chooseLang(c *gin.Context) string {
	l, _ := s.resolveLang(c)
	return l
}

// carriedLang is the language to carry in the URLs we hand out: the
// shopper's explicit choice, or "" when the language was detected (the
// same browser detects it the same way on the next page).
func (s *Server) carriedLang(c *gin.Context) string {
	if l, explicit := s.resolveLang(c); explicit {
		return l
	}
	return ""
}

// resolveLang does chooseLang's work once per request.
func (s *Server) resolveLang(c *gin.Context) (lang string, explicit bool) {
	st := state(c)
	if st.lang != "" {
		return st.lang, st.explicit
	}
	m := s.langs
	pick := func() (string, bool) {
		if l, ok := matchLang(m, query(c, langParam)); ok {
			return l, true
		}
		if l, ok := matchLang(m, s.sessionLang(c)); ok {
			return l, true
		}
		if l, ok := matchLang(m, uaLang(c.Request.UserAgent())); ok {
			return l, false
		}
		if l, ok := matchAccept(m, acceptLanguages(c.GetHeader("Accept-Language"))); ok {
			return l, false
		}
		return views.LangEnglish, false
	}
	st.lang, st.explicit = pick()
	return st.lang, st.explicit
}

// rememberLang keeps an explicit choice in the optional session, where the
// browser keeps cookies; the URL parameter does the job where it does not.
func (s *Server) rememberLang(c *gin.Context) {
	q := query(c, langParam)
	if q == "" || c.Request.Method != "GET" {
		return
	}
	if l, ok := matchLang(s.langs, q); ok && l != s.sessionLang(c) {
		s.setSessionLang(c, l)
	}
}

// withLang adds the shopper's language to one of our own URLs (a path,
// possibly with a query).
func withLang(rawURL, lang string) string {
	if lang == "" {
		return rawURL
	}
	base, frag, hasFrag := strings.Cut(rawURL, "#")
	path, query, _ := strings.Cut(base, "?")
	if query == "" && !hasFrag {
		// What the general case gives for a URL without a query, in one
		// allocation instead of a parsed, re-encoded url.Values (the
		// language switch does this three times on every page).
		return path + "?" + langParam + "=" + url.QueryEscape(lang)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		q = url.Values{}
	}
	q.Set(langParam, lang)
	out := path + "?" + q.Encode()
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// langPath is withLang with the request's carried language.
func (s *Server) langPath(c *gin.Context, rawURL string) string {
	return withLang(rawURL, s.carriedLang(c))
}

// langLinks is the language switch for the current page: the same GET URL
// in each language. A form post that shows a page again (a failed start, a
// refused refund) links to the GET page showing the same thing (postPage).
func (s *Server) langLinks(c *gin.Context) []views.LangLink {
	cur := s.chooseLang(c)
	base := c.Request.URL.Path
	if c.Request.Method != "GET" {
		base = s.postPage(c)
	}
	if c.Request.URL.RawQuery != "" {
		q := c.Request.URL.Query()
		q.Del(langParam)
		if enc := q.Encode(); enc != "" {
			base += "?" + enc
		}
	}
	links := make([]views.LangLink, 0, len(views.Languages()))
	for _, l := range views.Languages() {
		links = append(links, views.LangLink{Tag: l, Name: views.LanguageName(l), URL: withLang(base, l), Current: l == cur})
	}
	return links
}

// postPages names the GET page of a form post where walking up its path
// (postPage) would land on something that is not a page.
var postPages = map[string]string{
	CounterSalesPath + "/:id/cancel": CounterSalesPath, // GET /counter/sales/:id is the script's JSON
}

// postPage is the GET page for a form post in the same area: the route's
// own path when a GET serves it (/admin/signin), else the nearest parent
// that does (/admin/payments/:id/refund shows /admin/payments/:id;
// /admin/accounts/:id/role shows /admin/accounts), with the request's
// parameters filled in. Never another area's page: the walk stops at the
// area's root (/admin/, /counter, /).
func (s *Server) postPage(c *gin.Context) string {
	route := c.FullPath()
	if p, ok := postPages[route]; ok {
		route = p
	}
	for route != "" && route != "/" {
		for _, r := range []string{route, route + "/"} {
			if s.getRoutes[r] {
				return fillParams(r, c.Params)
			}
		}
		i := strings.LastIndexByte(route, '/')
		if i < 0 {
			break
		}
		route = route[:i]
	}
	// No route (a 404 or 405): the root of the area the path is in.
	p := c.Request.URL.Path
	switch {
	case p == "/admin" || strings.HasPrefix(p, "/admin/"):
		return AdminPath
	case p == CounterPath || strings.HasPrefix(p, CounterPath+"/"):
		return CounterPath
	}
	return "/"
}

// fillParams puts a request's parameters into a route's path.
func fillParams(route string, ps gin.Params) string {
	if !strings.Contains(route, ":") {
		return route
	}
	segs := strings.Split(route, "/")
	for i, seg := range segs {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			v, _ := ps.Get(name)
			segs[i] = url.PathEscape(v)
		}
	}
	return strings.Join(segs, "/")
}

// acceptLanguages parses Accept-Language. A header that does not parse
// (some WebViews repeat q-values: "zh-CN,zh;q=0.9;q=0.9") is read
// leniently, each entry's tag in the order given.
func acceptLanguages(h string) []language.Tag {
	if h == "" {
		return nil // most requests from apps and scripts send none
	}
	if len(h) > 512 {
		h = h[:512]
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err == nil {
		return tags
	}
	tags = tags[:0]
	for _, part := range strings.Split(h, ",") {
		tag, _, _ := strings.Cut(part, ";")
		if t, err := language.Parse(strings.TrimSpace(tag)); err == nil {
			tags = append(tags, t)
		}
	}
	return tags
}
