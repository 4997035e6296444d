package handlers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/webhook"
	"github.com/latipay-hpp/hpp/views"
)

// The back office's home figures and live feed. The figures come from
// payments.Reports (Options.Reports), in the shop's time zone
// (Options.Location); the feed's socket is in ws.go.

// Back-office paths of this file's pages.
const (
	ReportsPath   = "/admin/reports"
	AdminFeedPath = "/admin/feed"
)

// feedSize is how many of the latest payments the home's feed starts with.
const feedSize = 10

// shopZone is the time zone of the shop's calendar (Options.Location,
// else UTC): the list's times and date range, the home's days and the
// reports are all read in it. One function, so that the whole back
// office agrees.
func (s *Server) shopZone() *time.Location {
	if s.opts.Location != nil {
		return s.opts.Location
	}
	return time.UTC
}

// shopZoneName names the shop's time zone as the pages state it: the
// IANA name of HPP_SHOP_TIMEZONE, or, when it is unset and the machine's
// zone is used, that zone's abbreviation and offset now (Go knows the
// machine's zone only as "Local", which says nothing to a reader).
func (s *Server) shopZoneName() string {
	return zoneName(s.shopZone(), time.Now())
}

// zoneName is shopZoneName for loc at the instant now.
func zoneName(loc *time.Location, now time.Time) string {
	if loc != time.Local && loc.String() != "Local" {
		return loc.String()
	}
	abbr, off := now.In(loc).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	utc := fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, off%3600/60)
	if abbr == "" || abbr == "UTC" || strings.HasPrefix(abbr, "+") || strings.HasPrefix(abbr, "-") {
		return utc
	}
	return abbr + " (" + utc + ")"
}

// shopTimeText writes t in the shop's time zone as every back-office
// page does (shopTime); "" for the zero time.
func (s *Server) shopTimeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	_, text := s.shopTime(t)
	return text
}

// withCurrency writes an amount with its currency as the back office's
// pages do (views.AmountIn), "NZD 9,999,999.99", for text built before a
// page's language is at hand (timeline details, the live feed). English,
// Simplified and Traditional Chinese group and write decimals alike
// (CLDR: "," by three, "."), so the text holds in each; the exports
// write payments.FormatAmount's plain number instead.
func withCurrency(minor int64, c payments.Currency) string {
	return views.AmountIn(views.LangEnglish, string(c), payments.FormatAmount(minor, c))
}

// withFeed makes an admin page follow the shop's payments live
// (static/js/admin.js over AdminFeedPath).
func (s *Server) withFeed(a views.Admin) views.Admin {
	a.JS, a.Feed = s.adminJS, AdminFeedPath
	return a
}

// homeFigures fills an owner's home: totals, attention, the chart and
// the feed's first items.
func (s *Server) homeFigures(ctx context.Context) (*views.HomeFigures, error) {
	h, err := s.opts.Reports.Home(ctx)
	if err != nil {
		return nil, err
	}
	f := &views.HomeFigures{Today: totalsViews(h.Today), Week: totalsViews(h.Week), Zone: s.shopZoneName(),
		TodayText: h.Days[len(h.Days)-1].Day.Format(time.DateOnly)}
	var currencies []payments.Currency
	for _, d := range h.Days {
		for c := range d.Totals {
			if !slices.Contains(currencies, c) {
				currencies = append(currencies, c)
			}
		}
	}
	slices.SortFunc(currencies, func(a, b payments.Currency) int {
		if payments.CurrencyLess(a, b) {
			return -1
		}
		if payments.CurrencyLess(b, a) {
			return 1
		}
		return 0
	})
	for _, c := range currencies {
		days, values := make([]string, len(h.Days)), make([]int64, len(h.Days))
		for i, d := range h.Days {
			days[i], values[i] = d.Day.Format(time.DateOnly), d.Totals[c].Gross
			if t, ok := d.Totals[c]; ok {
				f.ChartDays = append(f.ChartDays, views.ChartDay{Day: days[i], Currency: string(c), Count: t.Count,
					Gross: payments.FormatAmount(t.Gross, c), Net: payments.FormatAmount(t.Net(), c)})
			}
		}
		f.Charts = append(f.Charts, views.NewChart("chart-"+string(c), string(c), days, values,
			func(v int64) string { return payments.FormatAmount(v, c) }))
	}
	for _, a := range h.Attention {
		row := views.AttentionRow{Kind: a.Kind, URL: PaymentsPath + "/" + a.PaymentID,
			Reference: a.Reference, Amount: withCurrency(a.Amount, a.Currency), Status: string(a.Status), Time: s.shopTimeText(a.At),
			EventType: webhook.PublicType(a.EventType)}
		if a.Kind == payments.AttentionNeedsReview && anomalyHomeIDs[a.Anomaly] {
			row.MessageID = "home.attention." + a.Anomaly
		}
		f.Attention = append(f.Attention, row)
	}
	f.AttentionLinks = attentionLinks(h)
	if err := s.unknownPayments(ctx, f); err != nil {
		return nil, err
	}
	page, err := s.svc.List(ctx, payments.ListInput{Limit: feedSize})
	if err != nil {
		return nil, err
	}
	for _, p := range page.Payments {
		f.Feed = append(f.Feed, s.feedItem(p))
	}
	return f, nil
}

// unknownWindow is how far back the home page lists payments Latipay
// reported paid that the database does not know, as far back as it lists
// refused webhooks.
const unknownWindow = 30 * 24 * time.Hour

// unknownPayments fills the home's list of payments Latipay reported paid
// under references this database does not know: after a restore, the
// payments made after the backup was taken. Their money is at Latipay
// and nowhere else here, so they are shown until they are a month old.
func (s *Server) unknownPayments(ctx context.Context, f *views.HomeFigures) error {
	us, total, err := s.svc.UnknownNotifications(ctx, s.opts.Now().Add(-unknownWindow), feedSize)
	if err != nil {
		return err
	}
	f.Unknown = s.unknownRows(us)
	f.UnknownMore = total - len(us)
	return nil
}

// unknownRows are payments Latipay reported paid that this database does
// not know, as the home page and the payments search list them.
func (s *Server) unknownRows(us []payments.UnknownNotification) []views.UnknownRow {
	var out []views.UnknownRow
	for _, u := range us {
		row := views.UnknownRow{Reference: u.Reference, Method: u.Method, Time: s.shopTimeText(u.At)}
		if m, err := payments.ParseMethod(u.Method); err == nil {
			row.MethodID = "method." + string(m)
		}
		if u.Amount != "" {
			row.Amount = u.Currency + " " + u.Amount // as Latipay signed them
		}
		out = append(out, row)
	}
	return out
}

// attentionLinks lead from the home page's attention block to the full
// list of each kind it shows only the newest of, saying how many more
// there are, so that no item is hidden unsaid: the payments list filtered
// the same way for flagged payments, the pending ones for stuck, the
// delivery log for refused webhooks. Flagged payments stay until someone
// marks them reviewed, so their full list is always offered.
func attentionLinks(h payments.Home) []views.AttentionLink {
	shown := map[string]int{}
	for _, a := range h.Attention {
		k := a.Kind
		if k == payments.AttentionPaidTwice { // counted under review
			k = payments.AttentionNeedsReview
		}
		shown[k]++
	}
	var out []views.AttentionLink
	for _, k := range []struct{ kind, url string }{
		{payments.AttentionNeedsReview, PaymentsPath + "?attention=" + payments.AttentionNeedsReview},
		{payments.AttentionPaidLate, PaymentsPath + "?attention=" + payments.AttentionPaidLate},
		{payments.AttentionStuck, PaymentsPath + "?status=pending"},
		{payments.AttentionWebhook, WebhooksPath},
	} {
		n := h.AttentionCounts[k.kind]
		switch more := n - shown[k.kind]; {
		case more > 0:
			out = append(out, views.AttentionLink{Kind: k.kind, More: more, URL: k.url})
		case n > 0 && (k.kind == payments.AttentionNeedsReview || k.kind == payments.AttentionPaidLate):
			out = append(out, views.AttentionLink{Kind: k.kind, URL: k.url})
		}
	}
	return out
}

// feedItem is one payment as the live feed shows it.
func (s *Server) feedItem(p payments.Payment) views.FeedItem {
	return views.FeedItem{ID: p.ID, URL: PaymentsPath + "/" + p.ID, Time: s.shopTimeText(p.UpdatedAt),
		Amount: withCurrency(p.Amount, p.Currency), Status: string(p.Status), Method: string(p.Method), Reference: p.Reference}
}

func totalsViews(ts []payments.Totals) []views.TotalsView {
	out := make([]views.TotalsView, 0, len(ts))
	for _, t := range ts {
		out = append(out, views.TotalsView{Currency: string(t.Currency), Count: t.Count,
			Gross: payments.FormatAmount(t.Gross, t.Currency), Refunds: payments.FormatAmount(t.Refunds, t.Currency),
			Net: payments.FormatAmount(t.Net(), t.Currency)})
	}
	return out
}

// channelID is the message suffix of a payment's channel: one of
// payments.Sources, or "other" for one this version does not know.
func channelID(source string) string {
	if slices.Contains(payments.Sources, source) {
		return source
	}
	return "other"
}

// reportRange reads the reports' from and to (YYYY-MM-DD, shop days);
// absent, the last 7 days.
func (s *Server) reportRange(c *gin.Context) (from, to time.Time, err error) {
	r := s.opts.Reports
	to, from = r.Today(), r.Today().AddDate(0, 0, -(payments.WeekDays-1))
	if q := c.Query("from"); q != "" {
		if from, err = r.ParseDay(q); err != nil {
			return from, to, err
		}
	}
	if q := c.Query("to"); q != "" {
		to, err = r.ParseDay(q)
	}
	return from, to, err
}

// reportCSVHeader is the report's CSV columns: day names the shop's time
// zone its days are in, "day (Pacific/Auckland)"; channel is the code
// (api, link, ...), channel_name its name as the pages show it in
// English; a till channel's rows are split by device and cashier (ids,
// and names as they are now; empty elsewhere). New columns come last so
// the others keep their places.
func (s *Server) reportCSVHeader() []string {
	return []string{"day (" + s.shopZoneName() + ")", "currency", "method", "channel", "count", "gross", "refunds", "net",
		"channel_name", "device_id", "device", "cashier_id", "cashier"}
}

// reportCSVRow is one report row as CSV cells (before neutralizing).
func (s *Server) reportCSVRow(r payments.ReportRow) []string {
	return []string{r.Day.Format(time.DateOnly), string(r.Currency), string(r.Method), r.Source,
		strconv.FormatInt(r.Count, 10), payments.FormatAmount(r.Gross, r.Currency),
		payments.FormatAmount(r.Refunds, r.Currency), payments.FormatAmount(r.Net(), r.Currency), s.channelName(r.Source),
		r.DeviceID, r.DeviceName, r.CashierID, r.CashierName}
}

// channelName is a channel's name as the back office's pages show it,
// in English: the exports' channel_name beside the code, so an
// accountant reads "Online" where the reports say so, and the file is
// the same whoever downloads it, in whatever language.
func (s *Server) channelName(source string) string {
	return s.i18n.Localizer("en").T("report.channel." + channelID(source))
}
