package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// The back office's payment links: the list with the create form, one
// link's page (URL, QR, posters, switch), the QR images and the poster.
const LinksPath = "/admin/links"

// posterSizes are the paper sizes a poster prints on (static/css/poster.css).
var posterSizes = []string{"A4", "A5", "A6"}

// linkRow is one link as the back office shows it.
func (s *Server) linkRow(c *gin.Context, l payments.Link) views.LinkRow {
	r := views.LinkRow{ID: l.ID, URL: s.opts.Links.URL(l.ID), DetailURL: s.langPath(c, LinksPath+"/"+l.ID), Kind: l.Source,
		Amount: linkAmount(l), Description: l.Description(s.chooseLang(c)), Paid: fmt.Sprint(l.Paid), Open: fmt.Sprint(l.Open()), State: "active"}
	if l.MaxUses > 0 {
		// Paid of the maximum; more than it when a payment came after its
		// checkout had closed, which is said, not hidden.
		r.Paid, r.Limited = fmt.Sprintf("%d / %d", l.Paid, l.MaxUses), true
		if n := l.OverPaid(); n > 0 {
			r.Over = fmt.Sprint(n)
		}
	}
	if !l.ExpiresAt.IsZero() {
		r.Expires = l.ExpiresAt.In(s.shopZone()).Format(adminTime)
	}
	switch l.State(s.opts.Links.Now()) {
	case payments.ErrLinkInactive:
		r.State = "inactive"
	case payments.ErrLinkExpired:
		r.State = "expired"
	case payments.ErrLinkUsedUp:
		r.State = "usedup"
	case payments.ErrLinkBusy:
		r.State = "busy"
	}
	return r
}

// linkAmount is a link's amount as the list shows it: "NZD 8.50", or the
// range a shopper may type, "NZD 1.00 - 500.00".
func linkAmount(l payments.Link) string {
	if l.OpenAmount() {
		return fmt.Sprintf("%s %s - %s", l.Currency, payments.FormatAmount(l.MinAmount, l.Currency), payments.FormatAmount(l.MaxAmount, l.Currency))
	}
	return fmt.Sprintf("%s %s", l.Currency, payments.FormatAmount(l.Amount, l.Currency))
}

// linksPage is how many links the list shows at once; "Older links"
// pages on (?before=<the last link's id>).
const linksPage = 100

// showLinks renders the list (a page of it: before, from GET's query)
// with the form as typed and its problems.
func (s *Server) showLinks(c *gin.Context, status int, form views.LinkForm, problems []string) {
	for _, f := range []*string{&form.Kind, &form.Currency, &form.Amount, &form.Min, &form.Max,
		&form.DescEN, &form.DescHans, &form.DescHant, &form.Expires, &form.MaxUses} {
		*f = echo(*f)
	}
	before := ""
	if c.Request.Method == http.MethodGet {
		before = c.Query("before")
	}
	ls, err := s.opts.Links.List(c.Request.Context(), "", before, linksPage+1)
	if err != nil {
		s.respondError(c, err)
		return
	}
	v := views.LinkList{Admin: s.adminPage(c, "links.admin.title", LinksPath), Action: s.langPath(c, LinksPath),
		Form: form, ErrorIDs: problems, Currencies: s.opts.Currencies}
	if len(problems) > 0 {
		v.Title = s.errorTitle(c, v.Title, problems[0])
	}
	if len(ls) > linksPage {
		ls = ls[:linksPage]
		v.OlderURL = s.langPath(c, LinksPath+"?before="+url.QueryEscape(ls[len(ls)-1].ID))
	}
	if before != "" {
		v.NewestURL = s.langPath(c, LinksPath)
	}
	if len(v.Currencies) == 0 {
		for _, cur := range payments.Currencies {
			v.Currencies = append(v.Currencies, string(cur))
		}
	}
	for _, l := range ls {
		v.Rows = append(v.Rows, s.linkRow(c, l))
	}
	s.render(c, status, views.LinkListPage(v))
}

// handleLinksList serves GET /admin/links.
func (s *Server) handleLinksList() gin.HandlerFunc {
	return func(c *gin.Context) { s.showLinks(c, http.StatusOK, views.LinkForm{Kind: payments.SourceLink}, nil) }
}

// handleLinkCreate serves POST /admin/links: every problem with the form
// is listed at once and nothing is stored; a new link is audited.
func (s *Server) handleLinkCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		f := views.LinkForm{Kind: c.PostForm("kind"), Currency: c.PostForm("currency"), Amount: c.PostForm("amount"),
			Min: c.PostForm("min"), Max: c.PostForm("max"), DescEN: c.PostForm("desc_en"), DescHans: c.PostForm("desc_zh_hans"),
			DescHant: c.PostForm("desc_zh_hant"), Expires: c.PostForm("expires"), MaxUses: c.PostForm("max_uses")}
		in := payments.LinkInput{Source: f.Kind, Currency: f.Currency, Amount: f.Amount, MinAmount: f.Min, MaxAmount: f.Max,
			Descriptions: map[string]string{"en": f.DescEN, "zh-Hans": f.DescHans, "zh-Hant": f.DescHant}, MaxUses: f.MaxUses}
		var problems []string
		if e := strings.TrimSpace(f.Expires); e != "" {
			// The day is the shop's (HPP_SHOP_TIMEZONE): the link works
			// until the next day begins there.
			day, err := time.ParseInLocation(time.DateOnly, e, s.shopZone())
			if err != nil {
				problems = append(problems, "links.problem.expiry_format")
			} else {
				in.ExpiresAt = day.AddDate(0, 0, 1)
			}
		}
		var l payments.Link
		var err error
		if len(problems) == 0 {
			l, err = s.opts.Links.Create(c.Request.Context(), in)
		}
		var le *payments.LinkError
		switch {
		case len(problems) > 0:
		case errors.As(err, &le):
			for _, p := range le.Problems {
				problems = append(problems, "links.problem."+string(p))
			}
		case err != nil:
			s.respondError(c, err)
			return
		}
		if len(problems) > 0 {
			s.showLinks(c, http.StatusUnprocessableEntity, f, problems)
			return
		}
		r := s.linkRow(c, l)
		_ = s.opts.Accounts.Record(c.Request.Context(), actor(c), "link.create", l.ID, "",
			fmt.Sprintf("%s %s, uses %s, expires %q", l.Source, r.Amount, r.Paid, r.Expires))
		s.redirectDone(c, LinksPath+"/"+l.ID, "links.admin.created")
	}
}

// handleLinkDetail serves GET /admin/links/:link.
func (s *Server) handleLinkDetail() gin.HandlerFunc {
	return func(c *gin.Context) {
		l, err := s.opts.Links.Get(c.Request.Context(), c.Param("link"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		base := LinksPath + "/" + l.ID
		v := views.LinkDetail{Admin: s.adminPage(c, "links.admin.title", LinksPath), Row: s.linkRow(c, l),
			QRPNG: base + "/qr.png", QRSVG: base + "/qr.svg", ToggleURL: s.langPath(c, base+"/active"), Active: l.Active}
		for _, size := range posterSizes {
			v.Posters = append(v.Posters, views.PosterSize{Size: size, URL: s.langPath(c, base+"/poster?size="+size)})
		}
		v.NoticeID = s.flash(c, "links.admin.created", "links.admin.toggled")
		s.render(c, http.StatusOK, views.LinkDetailPage(v))
	}
}

// handleLinkActiveSet serves POST /admin/links/:link/active (active=0 or
// 1): deactivates or reactivates a link, audited with before and after.
func (s *Server) handleLinkActiveSet() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		var active bool
		switch c.PostForm("active") {
		case "0":
		case "1":
			active = true
		default:
			s.respondError(c, errBadRequest)
			return
		}
		before, err := s.opts.Links.Get(ctx, c.Param("link"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		l, err := s.opts.Links.SetActive(ctx, before.ID, active)
		if err != nil {
			s.respondError(c, err)
			return
		}
		_ = s.opts.Accounts.Record(ctx, actor(c), "link.active", l.ID, fmt.Sprintf("active=%t", before.Active), fmt.Sprintf("active=%t", l.Active))
		s.redirectDone(c, LinksPath+"/"+l.ID, "links.admin.toggled")
	}
}

// linkQR is the QR of a link's URL: Medium error correction, which
// survives a scuffed sticker, and a quiet zone of 4 modules.
func (s *Server) linkQR(c *gin.Context) (*qrcode.QRCode, bool) {
	l, err := s.opts.Links.Get(c.Request.Context(), c.Param("link"))
	if err != nil {
		s.respondError(c, err)
		return nil, false
	}
	q, err := qrcode.New(s.opts.Links.URL(l.ID), qrcode.Medium)
	if err != nil {
		s.respondError(c, err)
		return nil, false
	}
	return q, true
}

// handleLinkQRPNG serves GET /admin/links/:link/qr.png: 10 pixels a module.
func (s *Server) handleLinkQRPNG() gin.HandlerFunc {
	return func(c *gin.Context) {
		q, ok := s.linkQR(c)
		if !ok {
			return
		}
		b, err := q.PNG(-10)
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.Header("Cache-Control", "private, no-store")
		c.Data(http.StatusOK, "image/png", b)
	}
}

// handleLinkQRSVG serves GET /admin/links/:link/qr.svg, drawn from the
// code's module matrix, so it prints sharp at any size.
func (s *Server) handleLinkQRSVG() gin.HandlerFunc {
	return func(c *gin.Context) {
		q, ok := s.linkQR(c)
		if !ok {
			return
		}
		c.Header("Cache-Control", "private, no-store")
		c.Data(http.StatusOK, "image/svg+xml", qrSVG(q.Bitmap()))
	}
}

// qrSVG draws a QR module matrix (quiet zone included) as one SVG path,
// one unit a module, dark on white.
func qrSVG(bits [][]bool) []byte {
	n := len(bits)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}

// handleLinkPoster serves GET /admin/links/:link/poster?size=A4|A5|A6:
// the printable poster, on one sheet of that paper.
func (s *Server) handleLinkPoster() gin.HandlerFunc {
	return func(c *gin.Context) {
		l, err := s.opts.Links.Get(c.Request.Context(), c.Param("link"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		size := c.DefaultQuery("size", "A4")
		ok := false
		for _, p := range posterSizes {
			ok = ok || p == size
		}
		if !ok {
			s.respondError(c, errBadRequest)
			return
		}
		base := LinksPath + "/" + l.ID
		zh := "zh-Hans"
		if s.chooseLang(c) == "zh-Hant" {
			zh = "zh-Hant"
		}
		v := views.Poster{Page: s.page(s.localizer(c).T("links.admin.poster", size), false), Size: size, QRSVG: base + "/qr.svg",
			Static: l.Source == payments.SourceStaticQR, Description: l.Description(s.chooseLang(c)),
			AcceptedEN: s.i18n.Localizer("en").T("links.poster.accepted"), AcceptedZH: s.i18n.Localizer(zh).T("links.poster.accepted"),
			URL: s.opts.Links.URL(l.ID), BackURL: s.langPath(c, base), PosterCSS: s.assets.Path("css/poster.css")}
		if !l.OpenAmount() {
			v.Amount = fmt.Sprintf("%s %s", l.Currency, payments.FormatAmount(l.Amount, l.Currency))
		}
		for _, p := range posterSizes {
			v.Sizes = append(v.Sizes, views.PosterSize{Size: p, URL: s.langPath(c, base+"/poster?size="+p)})
		}
		s.render(c, http.StatusOK, views.PosterPage(v))
	}
}
