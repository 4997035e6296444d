package handlers

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// adminPageSize is how many payments one page of the list shows.
const adminPageSize = 50

// listStatuses are the statuses the list filters by, in lifecycle order.
var listStatuses = []string{"created", "pending", "paid", "failed", "expired", "canceled", "partially_refunded", "refunded"}

// listMethods and listCurrencies are the other closed filters, in the
// order the form offers them.
var (
	listMethods    = []string{string(payments.MethodWeChat), string(payments.MethodAlipay), string(payments.MethodUnionPay)}
	listCurrencies = []string{string(payments.NZD), string(payments.AUD), string(payments.CNY)}
)

// listKeys are the query parameters that make up the list's filter: the
// list, its next page and its exports carry exactly these.
var listKeys = []string{"status", "attention", "method", "channel", "currency", "by", "from", "to", "q", "device", "cashier"}

// listBases are what the list's date range bounds: the day a payment was
// created, or the day it was paid, the day the reports count it on.
var listBases = []string{"created", "paid"}

// listAttention are the choices of the list's attention filter: the
// flagged payments not yet reviewed, as the home page lists them, and
// those marked reviewed.
var listAttention = []string{payments.AttentionNeedsReview, payments.AttentionPaidLate, payments.AttentionReviewed}

// dateLayout is how the date range is written in the URL (an <input
// type=date> sends it so).
const dateLayout = "2006-01-02"

// listFilter is the list's filter as it stands in the URL.
type listFilter struct {
	Status, Attention, Method, Channel, Currency, By, From, To, Q string
	// Device and Cashier are the counter sales of one device or one
	// person (ids): the form has no field for them; a report's row by
	// device or cashier links to the list with one.
	Device, Cashier string
}

func readListFilter(c *gin.Context) listFilter {
	return listFilter{Status: c.Query("status"), Attention: c.Query("attention"), Method: c.Query("method"), Channel: c.Query("channel"),
		Currency: c.Query("currency"), By: c.Query("by"), From: c.Query("from"), To: c.Query("to"), Q: strings.TrimSpace(c.Query("q")),
		Device: c.Query("device"), Cashier: c.Query("cashier")}
}

// values is the filter as a query, without empty fields.
func (f listFilter) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "attention": f.Attention, "method": f.Method, "channel": f.Channel,
		"currency": f.Currency, "by": f.By, "from": f.From, "to": f.To, "q": f.Q, "device": f.Device, "cashier": f.Cashier} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// input turns the filter into the service's query, or names what is
// wrong with it as a message id: the one message the page shows.
//
// The search box takes "reference:X" (that exact reference),
// "latipay:X" (that exact Latipay order id) or any other text: a
// payment's id, an attempt's Latipay merchant reference or Latipay's
// order id as pasted, an amount such as 88.80, or text the reference or
// the description contains (payments.ListInput.Text). The date range is
// whole days of the shop's calendar, both ends included, of the day each
// payment was created or, with by=paid, of the day it was paid: the day
// the reports count it on, so a report's day lists exactly its payments.
func (f listFilter) input(zone *time.Location) (payments.ListInput, string) {
	in := payments.ListInput{Status: f.Status, Attention: f.Attention, Method: f.Method, Source: f.Channel, Currency: f.Currency,
		Device: f.Device, Cashier: f.Cashier}
	closed := func(v string, allowed []string) bool { return v == "" || slices.Contains(allowed, v) }
	switch {
	case !closed(f.Status, listStatuses):
		return in, "adminlist.bad.status"
	case !closed(f.Attention, listAttention):
		return in, "adminlist.bad.attention"
	case !closed(f.Method, listMethods):
		return in, "adminlist.bad.method"
	case !closed(f.Channel, payments.Sources):
		return in, "adminlist.bad.channel"
	case !closed(f.Currency, listCurrencies):
		return in, "adminlist.bad.currency"
	case !closed(f.By, listBases):
		return in, "adminlist.bad.by"
	}
	for _, d := range []struct {
		text string
		at   *time.Time
		add  int
	}{{f.From, &in.From, 0}, {f.To, &in.To, 1}} {
		if d.text == "" {
			continue
		}
		day, err := time.ParseInLocation(dateLayout, d.text, zone)
		if err != nil {
			return in, "adminlist.bad.date"
		}
		*d.at = day.AddDate(0, 0, d.add)
	}
	if !in.From.IsZero() && !in.To.IsZero() && !in.From.Before(in.To) {
		return in, "adminlist.bad.range"
	}
	if f.By == "paid" {
		in.PaidFrom, in.PaidTo, in.From, in.To = in.From, in.To, time.Time{}, time.Time{}
	}
	kind, text, ok := strings.Cut(f.Q, ":")
	switch {
	case ok && kind == "reference":
		in.Reference = strings.TrimSpace(text)
	case ok && kind == "latipay":
		in.Latipay = strings.TrimSpace(text)
	default:
		in.Text = f.Q
	}
	if ok && (kind == "reference" || kind == "latipay") && strings.TrimSpace(text) == "" {
		return in, "adminlist.bad.search"
	}
	return in, ""
}

// listProblemField is the id of the filter form's field a problem of
// input (its message id) is about: a date that is not one is the first
// such of from and to, a range the wrong way round is the end's.
func listProblemField(id string, f listFilter) string {
	switch id {
	case "adminlist.bad.status", "adminlist.bad.attention", "adminlist.bad.method", "adminlist.bad.channel",
		"adminlist.bad.currency", "adminlist.bad.by":
		return strings.TrimPrefix(id, "adminlist.bad.")
	case "adminlist.bad.date":
		if _, err := time.Parse(dateLayout, f.From); f.From != "" && err != nil {
			return "from"
		}
		return "to"
	case "adminlist.bad.range":
		return "to"
	case "adminlist.bad.search":
		return "q"
	}
	return ""
}

// listRow is one payment as the list, the detail page and the exports
// show it: times in the shop's zone; refunded is what its succeeded
// refunds add up to, with what pending ones hold apart.
func (s *Server) listRow(ctx context.Context, p payments.Payment) (views.PaymentRow, error) {
	t, err := s.svc.RefundTotals(ctx, p)
	if err != nil {
		return views.PaymentRow{}, err
	}
	r := views.PaymentRow{ID: p.ID, Time: p.CreatedAt.In(s.shopZone()).Format("2006-01-02 15:04 MST"), PaidTime: s.listTime(p.PaidAt),
		Amount: payments.FormatAmount(p.Amount, p.Currency), Currency: string(p.Currency), AmountCNY: p.AmountCNY,
		Status: string(p.Status), Method: string(p.Method), Channel: p.Source, Reference: p.Reference,
		OrderID: p.LatipayOrderID, Refunded: payments.FormatAmount(t.Succeeded, p.Currency),
		NeedsReview: p.NeedsReview && p.ReviewedAt.IsZero(), PaidLate: p.PaidLate && p.ReviewedAt.IsZero()}
	if !p.ReviewedAt.IsZero() {
		r.Reviewed = p.ReviewedAt.In(s.shopZone()).Format("2006-01-02 15:04 MST")
	}
	if t.Pending > 0 {
		r.RefundPending = payments.FormatAmount(t.Pending, p.Currency)
	}
	return r, nil
}

// listTime is an instant as the list shows it, in the shop's zone; "" for
// the zero time.
func (s *Server) listTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.shopZone()).Format("2006-01-02 15:04 MST")
}

// takenBy fills in the device and the cashier of the counter sales among
// rows (payments.Payment.Source counter_qr or counter_scan), reading each
// sale by its payment (the key), and each device and cashier once. A
// sale, device or person no longer known leaves its part empty.
func (s *Server) takenBy(c *gin.Context, rows []views.PaymentRow) error {
	ctx := c.Request.Context()
	if s.opts.Counter == nil {
		return nil
	}
	store := s.opts.Counter.Store()
	devices, people := map[string]string{}, map[string]string{}
	for i := range rows {
		r := &rows[i]
		if r.Channel != payments.SourceCounterQR && r.Channel != payments.SourceCounterScan {
			continue
		}
		sale, err := store.Sale(ctx, r.ID)
		if errors.Is(err, counter.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		name, ok := devices[sale.DeviceID]
		if !ok {
			d, err := store.Device(ctx, sale.DeviceID)
			if err != nil && !errors.Is(err, counter.ErrNotFound) {
				return err
			}
			name = payments.CleanText(d.Name)
			devices[sale.DeviceID] = name
		}
		cashier, ok := people[sale.AccountID]
		if !ok && sale.AccountID != "" {
			if cashier, err = s.personByID(c, sale.AccountID); err != nil {
				return err
			}
			people[sale.AccountID] = cashier
		}
		r.Device, r.Cashier = name, cashier
	}
	return nil
}

// saleScope names the device and the cashier the list is filtered to
// (listFilter.Device, Cashier), as the reports name them: a device by its
// name, a person by personByID; an id no longer known as itself.
func (s *Server) saleScope(c *gin.Context, f listFilter) (device, cashier string, err error) {
	device, cashier = f.Device, f.Cashier
	if f.Device != "" && s.opts.Counter != nil {
		d, err := s.opts.Counter.Store().Device(c.Request.Context(), f.Device)
		if err != nil && !errors.Is(err, counter.ErrNotFound) {
			return "", "", err
		}
		if name := payments.CleanText(d.Name); name != "" {
			device = name
		}
	}
	if f.Cashier != "" {
		name, err := s.personByID(c, f.Cashier)
		if err != nil {
			return "", "", err
		}
		if name != "" {
			cashier = name
		}
	}
	return device, cashier, nil
}

// handlePaymentsList serves GET /admin/payments: newest first, filtered
// by status, method, channel, currency, a date range (of the day created
// or the day paid), the search box and the till's device or cashier,
// all kept in the URL, and paged by a keyset cursor (the last row's time
// and id), so a page costs the same however deep. A filter it cannot read
// is answered 400 with the page, the form as typed and one clear message.
func (s *Server) handlePaymentsList() gin.HandlerFunc {
	return func(c *gin.Context) {
		f := readListFilter(c)
		v := views.PaymentList{Admin: s.withFeed(s.adminPage(c, "admin.payments.title", PaymentsPath)), Action: PaymentsPath,
			Status: echo(f.Status), Attention: echo(f.Attention), Attentions: listAttention, Method: echo(f.Method), Channel: echo(f.Channel), Currency: echo(f.Currency), By: echo(f.By), From: echo(f.From), To: echo(f.To),
			Query: echo(f.Q), Statuses: listStatuses, Methods: listMethods, Channels: payments.Sources, Currencies: listCurrencies, Bases: listBases,
			Zone: s.shopZoneName(), DeviceID: echo(f.Device), CashierID: echo(f.Cashier)}
		if f.Device != "" || f.Cashier != "" {
			var err error
			if v.Device, v.Cashier, err = s.saleScope(c, f); err != nil {
				s.respondError(c, err)
				return
			}
			all := f
			all.Device, all.Cashier = "", ""
			v.AllSalesURL = PaymentsPath
			if q := all.values().Encode(); q != "" {
				v.AllSalesURL += "?" + q
			}
			v.AllSalesURL = s.langPath(c, v.AllSalesURL)
		}
		refuse := func(id, field string) {
			v.ErrorID, v.ErrorField = id, field
			v.Title = s.errorTitle(c, v.Title, id)
			s.render(c, http.StatusBadRequest, views.PaymentListPage(v))
		}
		in, bad := f.input(s.shopZone())
		if bad != "" {
			refuse(bad, listProblemField(bad, f))
			return
		}
		in.Cursor, in.Limit = c.Query("cursor"), adminPageSize
		page, err := s.svc.List(c.Request.Context(), in)
		if errors.Is(err, payments.ErrInvalid) {
			// What the service refuses beyond input's checks is the
			// search text (too long, or not printable) or the page's
			// cursor: asking again without the cursor tells which.
			in.Cursor, in.Limit = "", 1
			if _, err := s.svc.List(c.Request.Context(), in); errors.Is(err, payments.ErrInvalid) || c.Query("cursor") == "" {
				refuse("adminlist.bad.searchlong", "q")
			} else {
				refuse("adminlist.bad.cursor", "")
			}
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		if c.Query("cursor") == "" {
			// A Latipay reference or order id that no payment here has
			// may be one Latipay reported paid all the same (a payment
			// made after the backup this database was restored from):
			// said apart, as the home page says it.
			us, err := s.svc.FindUnknown(c.Request.Context(), cmp.Or(in.Latipay, in.Text))
			if err != nil {
				s.respondError(c, err)
				return
			}
			v.Unknown = s.unknownRows(us)
		}
		q := f.values()
		v.ExportCSV, v.ExportJSON = PaymentsPath+"/export.csv?"+q.Encode(), PaymentsPath+"/export.json?"+q.Encode()
		for _, p := range page.Payments {
			row, err := s.listRow(c.Request.Context(), p)
			if err != nil {
				s.respondError(c, err)
				return
			}
			v.Rows = append(v.Rows, row)
		}
		if err := s.takenBy(c, v.Rows); err != nil {
			s.respondError(c, err)
			return
		}
		if page.Next != "" {
			if l := c.Query("lang"); l != "" {
				q.Set("lang", l)
			}
			q.Set("cursor", page.Next)
			v.NextURL = PaymentsPath + "?" + q.Encode()
		}
		s.render(c, http.StatusOK, views.PaymentListPage(v))
	}
}
