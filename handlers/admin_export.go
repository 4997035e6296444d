package handlers

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
)

// exportPage is how many payments the export reads at a time: the rows
// go out page by page, so memory stays flat however many there are.
const exportPage = 100

// exportColumns are the list's columns, in its order.
var exportColumns = []string{"time", "amount", "currency", "status", "method", "reference", "latipay_order_id", "refunded", "id"}

// csvCell neutralizes a cell a spreadsheet would read as a formula (one
// starting with = + - @, or a tab or carriage return that hides one) by
// putting an apostrophe first.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// handlePaymentsExport serves GET /admin/payments/export.csv and
// export.json: exactly the rows the list shows for the same status and
// search (every page of them), streamed. CSV starts with a UTF-8
// byte-order mark so that Excel reads Chinese right.
func (s *Server) handlePaymentsExport(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ref, ok := parseSearch(c.Query("q"))
		if !ok {
			s.respondError(c, errBadRequest)
			return
		}
		in := payments.ListInput{Status: c.Query("status"), Reference: ref, Limit: exportPage}
		ctx := c.Request.Context()
		page, err := s.svc.List(ctx, in)
		if err != nil { // a bad filter is answered before anything is sent
			s.respondError(c, err)
			return
		}
		a := actor(c)
		if err := s.opts.Accounts.Record(ctx, a, "export."+format, "payments", "", c.Request.URL.RawQuery); err != nil {
			s.respondError(c, err)
			return
		}
		h := c.Writer.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		var cw *csv.Writer
		if format == "csv" {
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="payments.csv"`)
			c.Status(http.StatusOK)
			_, _ = c.Writer.WriteString("\ufeff")
			cw = csv.NewWriter(c.Writer)
			_ = cw.Write(exportColumns)
		} else {
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="payments.json"`)
			c.Status(http.StatusOK)
			_, _ = c.Writer.WriteString("[")
		}
		first := true
		for {
			for _, p := range page.Payments {
				row := []string{p.CreatedAt.UTC().Format("2006-01-02 15:04 MST"), payments.FormatAmount(p.Amount, p.Currency),
					string(p.Currency), string(p.Status), string(p.Method), p.Reference, p.LatipayOrderID,
					payments.FormatAmount(p.Refunded, p.Currency), p.ID}
				if cw != nil {
					for i := range row {
						row[i] = csvCell(row[i])
					}
					_ = cw.Write(row)
					continue
				}
				obj := make(map[string]string, len(row))
				for i, k := range exportColumns {
					obj[k] = row[i]
				}
				b, _ := json.Marshal(obj)
				if !first {
					_, _ = c.Writer.WriteString(",")
				}
				first = false
				_, _ = c.Writer.Write(b)
			}
			if cw != nil {
				cw.Flush()
			}
			c.Writer.Flush()
			if page.Next == "" {
				break
			}
			in.Cursor = page.Next
			if page, err = s.svc.List(ctx, in); err != nil {
				// The status line is sent: end the body short, and say so
				// in the log; the file is visibly cut.
				s.log.Error("export", "request_id", requestID(c), "err", err)
				return
			}
		}
		if cw == nil {
			_, _ = c.Writer.WriteString("]\n")
		}
	}
}
