package handlers

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

// handleReportsShow serves GET /admin/reports?from=&to=: the totals per
// shop day x currency x method x channel over the range (the last 7 days
// by default), each row linked to its payments and its refunds, with the
// range's totals per currency, the till's sales by device and by cashier,
// and its CSV link.
func (s *Server) handleReportsShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := views.AdminReports{Admin: s.adminPage(c, "admin.reports.title", ReportsPath), Action: ReportsPath,
			Zone: s.shopZoneName(), MaxDays: payments.MaxReportDays, From: echo(c.Query("from")), To: echo(c.Query("to"))}
		from, to, err := s.reportRange(c)
		var rows []payments.ReportRow
		if err == nil {
			v.From, v.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
			rows, err = s.opts.Reports.Report(c.Request.Context(), from, to)
		}
		if errors.Is(err, payments.ErrInvalid) {
			v.ErrorID, v.ErrorField = s.reportProblem(c)
			v.Title = s.errorTitle(c, v.Title, v.ErrorID)
			s.render(c, http.StatusBadRequest, views.AdminReportsPage(v))
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		sums := map[payments.Currency]payments.Totals{}
		for _, r := range mergeTill(rows) {
			day := r.Day.Format(time.DateOnly)
			v.Rows = append(v.Rows, views.ReportRowView{Day: day, Currency: string(r.Currency),
				Method: string(r.Method), Source: channelID(r.Source), Count: r.Count,
				Gross: payments.FormatAmount(r.Gross, r.Currency), Refunds: payments.FormatAmount(r.Refunds, r.Currency),
				Net: payments.FormatAmount(r.Net(), r.Currency), PaymentsURL: reportPaymentsURL(r), RefundsURL: reportRefundsURL(r)})
			t := sums[r.Currency]
			t.Currency, t.Count, t.Gross, t.Refunds = r.Currency, t.Count+r.Count, t.Gross+r.Gross, t.Refunds+r.Refunds
			sums[r.Currency] = t
		}
		for _, cur := range payments.Currencies {
			if t, ok := sums[cur]; ok {
				v.Totals = append(v.Totals, totalsViews([]payments.Totals{t})...)
			}
		}
		v.Devices, v.Cashiers, v.Till = tillBreakdown(rows, v.From, v.To)
		v.ExportCSV = ReportsPath + "/export.csv?" + url.Values{"from": {v.From}, "to": {v.To}}.Encode()
		s.render(c, http.StatusOK, views.AdminReportsPage(v))
	}
}

// reportProblem says what is wrong with a range Report refused, as a
// message id, and which of the form's dates (from, to) it is about: a
// date that is not one, an end before the start, or a range too long
// (the start's, as the end defaults to today).
func (s *Server) reportProblem(c *gin.Context) (id, field string) {
	r := s.opts.Reports
	to, from := r.Today(), r.Today().AddDate(0, 0, -(payments.WeekDays-1))
	for _, d := range []struct {
		name string
		at   *time.Time
	}{{"from", &from}, {"to", &to}} {
		if q := c.Query(d.name); q != "" {
			day, err := r.ParseDay(q)
			if err != nil {
				return "adminlist.bad.date", d.name
			}
			*d.at = day
		}
	}
	if to.Before(from) {
		return "adminlist.bad.range", "to"
	}
	return "report.bad.long", "from"
}

// handleReportsExport serves GET /admin/reports/export.csv?from=&to=: the
// report's rows as CSV, UTF-8 with a byte-order mark so that Excel reads
// it right, every cell neutralized against formulas, and the export
// written to the audit log before any row is sent.
func (s *Server) handleReportsExport() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		from, to, err := s.reportRange(c)
		var rows []payments.ReportRow
		if err == nil {
			rows, err = s.opts.Reports.Report(ctx, from, to)
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		if err := s.opts.Accounts.Record(ctx, actor(c), "export.report", "reports", "", c.Request.URL.RawQuery); err != nil {
			s.respondError(c, err)
			return
		}
		h := c.Writer.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="report-`+from.Format(time.DateOnly)+`-`+to.Format(time.DateOnly)+`.csv"`)
		c.Status(http.StatusOK)
		_, _ = c.Writer.WriteString("\ufeff")
		cw := csv.NewWriter(c.Writer)
		_ = cw.Write(s.reportCSVHeader())
		for _, r := range rows {
			cells := s.reportCSVRow(r)
			for i := range cells {
				cells[i] = csvCell(cells[i])
			}
			_ = cw.Write(cells)
		}
		cw.Flush()
	}
}

// mergeTill adds up the rows a report splits by device and cashier (the
// till's channels) into one per day x currency x method x channel, as
// the report's table shows them.
func mergeTill(rows []payments.ReportRow) []payments.ReportRow {
	var out []payments.ReportRow
	for _, r := range rows {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.Day.Equal(r.Day) && last.Currency == r.Currency && last.Method == r.Method && last.Source == r.Source {
				last.Count, last.Gross, last.Refunds = last.Count+r.Count, last.Gross+r.Gross, last.Refunds+r.Refunds
				continue
			}
		}
		r.DeviceID, r.DeviceName, r.CashierID, r.CashierName, r.CashierRemoved = "", "", "", "", false
		out = append(out, r)
	}
	return out
}

// tillBreakdown shares out the till's sales of a report by device and by
// cashier, per currency, in currency order then by name (none recorded
// last), each linked to its payments over the report's days from and to
// (saleListURL); till is the till channels' totals, which either adds up
// to.
func tillBreakdown(rows []payments.ReportRow, from, to string) (devices, cashiers []views.BreakdownRow, till []views.TotalsView) {
	type key struct {
		id  string
		cur payments.Currency
	}
	by := func(param string, id, name func(payments.ReportRow) string, removed func(payments.ReportRow) bool) []views.BreakdownRow {
		sums, names, gone := map[key]payments.Totals{}, map[key]string{}, map[key]bool{}
		var keys []key
		for _, r := range rows {
			if !slices.Contains(payments.TillSources, r.Source) {
				continue
			}
			k := key{id(r), r.Currency}
			t, ok := sums[k]
			if !ok {
				keys = append(keys, k)
				names[k], gone[k] = name(r), removed(r)
			}
			t.Currency, t.Count, t.Gross, t.Refunds = r.Currency, t.Count+r.Count, t.Gross+r.Gross, t.Refunds+r.Refunds
			sums[k] = t
		}
		slices.SortFunc(keys, func(a, b key) int {
			if a.cur != b.cur {
				if payments.CurrencyLess(a.cur, b.cur) {
					return -1
				}
				return 1
			}
			if (names[a] == "") != (names[b] == "") { // none recorded last
				if names[a] == "" {
					return 1
				}
				return -1
			}
			if c := strings.Compare(names[a], names[b]); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
		out := make([]views.BreakdownRow, 0, len(keys))
		for _, k := range keys {
			t := sums[k]
			out = append(out, views.BreakdownRow{Name: names[k], Removed: gone[k], Currency: string(k.cur), Count: t.Count,
				Gross: payments.FormatAmount(t.Gross, k.cur), Refunds: payments.FormatAmount(t.Refunds, k.cur),
				Net: payments.FormatAmount(t.Net(), k.cur), PaymentsURL: saleListURL(param, k.id, k.cur, from, to)})
		}
		return out
	}
	devices = by("device", func(r payments.ReportRow) string { return r.DeviceID }, func(r payments.ReportRow) string { return r.DeviceName },
		func(payments.ReportRow) bool { return false })
	cashiers = by("cashier", func(r payments.ReportRow) string { return r.CashierID }, func(r payments.ReportRow) string { return r.CashierName },
		func(r payments.ReportRow) bool { return r.CashierRemoved })
	sums := map[payments.Currency]payments.Totals{}
	for _, r := range rows {
		if slices.Contains(payments.TillSources, r.Source) {
			t := sums[r.Currency]
			t.Currency, t.Count, t.Gross, t.Refunds = r.Currency, t.Count+r.Count, t.Gross+r.Gross, t.Refunds+r.Refunds
			sums[r.Currency] = t
		}
	}
	for _, cur := range payments.Currencies {
		if t, ok := sums[cur]; ok {
			till = append(till, totalsViews([]payments.Totals{t})...)
		}
	}
	return devices, cashiers, till
}

// reportPaymentsURL is the payments list of a report row: the payments
// paid on its day (by=paid, the day rule of the report) in its currency,
// method and channel, whatever their status now.
func reportPaymentsURL(r payments.ReportRow) string {
	day := r.Day.Format(time.DateOnly)
	q := url.Values{"by": {"paid"}, "from": {day}, "to": {day}, "currency": {string(r.Currency)}, "channel": {r.Source}}
	if r.Method != "" {
		q.Set("method", string(r.Method))
	}
	return PaymentsPath + "?" + q.Encode()
}

// saleListURL is the payments list of a row of the till's sales by
// device or by cashier (param "device" or "cashier", and its id): the
// sales paid over the report's days from and to (by=paid, the report's
// day rule) in currency cur, whatever their status now; "" for sales with
// no record of who or where (id "").
func saleListURL(param, id string, cur payments.Currency, from, to string) string {
	if id == "" {
		return ""
	}
	q := url.Values{"by": {"paid"}, "from": {from}, "to": {to}, "currency": {string(cur)}, param: {id}}
	return PaymentsPath + "?" + q.Encode()
}

// reportRefundsURL is the refunds export of a report row: the refunds
// that succeeded on its day in its currency, method and channel, which
// add up to its Refunds.
func reportRefundsURL(r payments.ReportRow) string {
	day := r.Day.Format(time.DateOnly)
	q := url.Values{"status": {"succeeded"}, "from": {day}, "to": {day}, "currency": {string(r.Currency)}, "channel": {r.Source}}
	if r.Method != "" {
		q.Set("method", string(r.Method))
	}
	return RefundsExportPath + ".csv?" + q.Encode()
}

// RefundsExportPath is the refunds export, without its format's suffix.
const RefundsExportPath = "/admin/refunds/export"

// refundColumns are the refunds export's columns: one row per refund,
// its times ISO 8601 in the shop's zone (exportTime): requested_at when
// it was asked for, settled_at when Latipay's answer settled it ("" while
// pending). A report's Refunds of a day are the succeeded rows settled
// on it (payments.RefundQuery).
var refundColumns = []string{"payment_id", "reference", "refund_id", "amount", "currency", "status",
	"requested_at", "settled_at", "reason", "method", "channel", "latipay_reference", "latipay_order_id",
	"failure", "time_zone", "requested_by"}

// refundByAPI is the refunds export's requested_by of a refund the
// merchant's system asked for through the API.
const refundByAPI = "api"

// refundAskers names who asked for each refund of rows, by refund id,
// from the audit log's refund entries of their payments (recordRefund):
// the back-office person's email, or refundByAPI. Only the back office
// and the API ask for refunds (the counter never does), and the back
// office has always recorded its own, so a refund with no entry (an API
// refund from before the API's were recorded) is the API's too.
func (s *Server) refundAskers(ctx context.Context, rows []payments.RefundRow) (map[string]string, error) {
	out := map[string]string{}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.PaymentID] {
			continue
		}
		seen[r.PaymentID] = true
		f := accounts.AuditFilter{Target: r.PaymentID, Action: "refund", Limit: refundExportPage}
		for {
			es, err := s.opts.Accounts.Store().Audit(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				if id, _, ok := auditRefund(e); ok && e.Email != accounts.APIEmail {
					out[id] = e.Email
				}
			}
			if len(es) < f.Limit {
				break
			}
			f.Before = es[len(es)-1].Seq
		}
	}
	return out, nil
}

// refundExportPage is how many refunds the export reads at a time.
const refundExportPage = 500

// refundQuery reads the refunds export's filter: from and to are shop
// days (both included) of the instant each refund counts at; status,
// currency, method and channel as the payments list takes them.
func (s *Server) refundQuery(c *gin.Context) (payments.RefundQuery, bool) {
	q := payments.RefundQuery{Status: payments.RefundStatus(c.Query("status")), Currency: payments.Currency(c.Query("currency")),
		Method: payments.Method(c.Query("method")), Source: c.Query("channel"), Limit: refundExportPage}
	closed := func(v string, allowed []string) bool { return v == "" || slices.Contains(allowed, v) }
	if !closed(string(q.Status), []string{"pending", "succeeded", "failed"}) || !closed(string(q.Currency), listCurrencies) ||
		!closed(string(q.Method), listMethods) || !closed(q.Source, payments.Sources) {
		return q, false
	}
	for _, d := range []struct {
		text string
		at   *time.Time
		add  int
	}{{c.Query("from"), &q.From, 0}, {c.Query("to"), &q.To, 1}} {
		if d.text == "" {
			continue
		}
		day, err := time.ParseInLocation(dateLayout, d.text, s.shopZone())
		if err != nil {
			return q, false
		}
		*d.at = day.AddDate(0, 0, d.add)
	}
	return q, q.From.IsZero() || q.To.IsZero() || q.From.Before(q.To)
}

// refundRow is one refund as the refunds export writes it.
func (s *Server) refundRow(r payments.RefundRow, askers map[string]string) []string {
	settled, failure := "", ""
	if r.Status != payments.RefundPending {
		settled = s.exportTime(r.UpdatedAt)
	}
	if r.Status == payments.RefundFailed {
		failure = r.GatewayMessage
	}
	return []string{r.PaymentID, r.Reference, r.ID, payments.FormatAmount(r.Amount, r.Currency), string(r.Currency),
		string(r.Status), s.exportTime(r.CreatedAt), settled, r.Reason, string(r.Method), r.Source, r.LatipayReference,
		r.LatipayOrderID, failure, s.shopZone().String(), cmp.Or(askers[r.ID], refundByAPI)}
}

// handleRefundsExport serves GET /admin/refunds/export.csv and
// export.json: one row per refund matching the filter (refundQuery),
// oldest first, streamed page by page and audited like the payments
// export; a filter it cannot read is answered 400 before anything is sent.
func (s *Server) handleRefundsExport(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		q, ok := s.refundQuery(c)
		if !ok {
			s.respondError(c, errBadRequest)
			return
		}
		ctx := c.Request.Context()
		rows, err := s.opts.Reports.Refunds(ctx, q)
		if err != nil {
			s.respondError(c, err)
			return
		}
		if err := s.opts.Accounts.Record(ctx, actor(c), "export.refunds."+format, "refunds", "", c.Request.URL.RawQuery); err != nil {
			s.respondError(c, err)
			return
		}
		h := c.Writer.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		if format == "csv" {
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="refunds.csv"`)
		} else {
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="refunds.json"`)
		}
		c.Status(http.StatusOK)
		out := newExportWriter(c.Writer, format == "csv", refundColumns)
		for {
			askers, err := s.refundAskers(ctx, rows)
			if err != nil {
				s.log.Error("export cut short", "request_id", requestID(c), "format", format, "rows", out.count, "err", err)
				cutConnection(c.Writer)
				return
			}
			for _, r := range rows {
				out.row(s.refundRow(r, askers))
			}
			c.Writer.Flush()
			if len(rows) < q.Limit {
				break
			}
			last := rows[len(rows)-1]
			q.AfterAt, q.AfterID = last.At(), last.ID
			if rows, err = s.opts.Reports.Refunds(ctx, q); err != nil {
				s.log.Error("export cut short", "request_id", requestID(c), "format", format, "rows", out.count, "err", err)
				cutConnection(c.Writer)
				return
			}
		}
		out.end()
	}
}
