package handlers

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// handleReportsShow serves GET /admin/reports?from=&to=: the totals per
// shop day x currency x method x channel over the range (the last 7 days
// by default), with the range's totals per currency and its CSV link.
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
			v.ErrorID = "report.bad"
			s.render(c, http.StatusBadRequest, views.AdminReportsPage(v))
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		sums := map[payments.Currency]payments.Totals{}
		for _, r := range rows {
			v.Rows = append(v.Rows, views.ReportRowView{Day: r.Day.Format(time.DateOnly), Currency: string(r.Currency),
				Method: string(r.Method), Source: channelID(r.Source), Count: r.Count,
				Gross: payments.FormatAmount(r.Gross, r.Currency), Refunds: payments.FormatAmount(r.Refunds, r.Currency),
				Net: payments.FormatAmount(r.Net(), r.Currency)})
			t := sums[r.Currency]
			t.Currency, t.Count, t.Gross, t.Refunds = r.Currency, t.Count+r.Count, t.Gross+r.Gross, t.Refunds+r.Refunds
			sums[r.Currency] = t
		}
		for _, cur := range payments.Currencies {
			if t, ok := sums[cur]; ok {
				v.Totals = append(v.Totals, totalsViews([]payments.Totals{t})...)
			}
		}
		v.ExportCSV = ReportsPath + "/export.csv?" + url.Values{"from": {v.From}, "to": {v.To}}.Encode()
		s.render(c, http.StatusOK, views.AdminReportsPage(v))
	}
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
		_ = cw.Write(reportCSVHeader)
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
