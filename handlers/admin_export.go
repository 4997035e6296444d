package handlers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// exportPage is how many payments the export reads at a time: the rows
// go out page by page, so memory stays flat however many there are.
const exportPage = 100

// exportColumns are the list's columns, in its order, then the id, then
// what refunds still waiting for Latipay hold (refunded counts only the
// refunds that succeeded) and the channel's name, then the paid time,
// the description, the merchant reference we send Latipay and the shop's
// time zone, then the review flags (paid_late, needs_review: "true" or
// "false", as the API's fields) and when the payment was marked reviewed
// ("" until then): new columns come last so the earlier ones keep their
// places. Times are ISO 8601 with the offset in force in the shop's zone
// (exportTime); created_at is the list's time column.
var exportColumns = []string{"created_at", "amount", "currency", "amount_cny", "status", "method", "channel", "reference",
	"latipay_order_id", "refunded", "id", "refund_pending", "channel_name", "paid_at", "description", "latipay_reference",
	"time_zone", "paid_late", "needs_review", "reviewed_at"}

// exportTimeLayout is how the exports write an instant: ISO 8601 (RFC
// 3339) to the second, with the offset of the shop's zone at that
// instant, e.g. 2026-12-07T17:23:05+13:00.
const exportTimeLayout = time.RFC3339

// exportTime writes t for an export in the shop's zone; "" for the zero
// time.
func (s *Server) exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.shopZone()).Format(exportTimeLayout)
}

// exportRow is one payment as the exports write it: the list's row with
// its codes (status, method, channel) rather than their translations,
// its times machine-readable (exportTime), and the channel's name as the
// pages show it in English (channelName).
func (s *Server) exportRow(p payments.Payment, r views.PaymentRow) []string {
	pending := r.RefundPending
	if pending == "" {
		pending = payments.FormatAmount(0, payments.Currency(r.Currency))
	}
	return []string{s.exportTime(p.CreatedAt), r.Amount, r.Currency, r.AmountCNY, r.Status, r.Method, r.Channel, r.Reference,
		r.OrderID, r.Refunded, r.ID, pending, s.channelName(r.Channel), s.exportTime(p.PaidAt), p.Description,
		p.LatipayReference, s.shopZone().String(), strconv.FormatBool(p.PaidLate), strconv.FormatBool(p.NeedsReview),
		s.exportTime(p.ReviewedAt)}
}

// csvCell neutralizes a cell a spreadsheet would read as a formula (one
// starting with = + - @, or a tab or carriage return that hides one) by
// putting an apostrophe first. A plain negative amount ("-12.50": a
// minus, digits, at most one point and digits) is a number, not a
// formula, and stays one so a spreadsheet can add it up.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) && !isNegativeDecimal(s) {
		return "'" + s
	}
	return s
}

// isNegativeDecimal reports whether s is "-" then digits, optionally
// followed by "." and digits, and nothing else.
func isNegativeDecimal(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	digits, point := 0, false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point && digits > 0 && i < len(s)-1:
			point = true
		default:
			return false
		}
	}
	return digits > 0
}

// exportWriter writes an export's rows so that only a complete file is
// well formed. CSV: every line but the last ends in a newline, and the
// last one's newline is written only once every row is out. JSON: the
// closing bracket comes last. A file cut short by a failure therefore
// ends without its final newline (CSV) or without "]" (JSON).
type exportWriter struct {
	w       gin.ResponseWriter
	csv     bool
	buf     bytes.Buffer
	cw      *csv.Writer
	count   int
	columns []string // the header, and the JSON objects' keys
}

func newExportWriter(w gin.ResponseWriter, isCSV bool, columns []string) *exportWriter {
	e := &exportWriter{w: w, csv: isCSV, columns: columns}
	e.cw = csv.NewWriter(&e.buf)
	if isCSV {
		_, _ = w.WriteString("\ufeff")
		e.line(columns)
	} else {
		_, _ = w.WriteString("[")
	}
	return e
}

// line writes one CSV record, its newline held back until the next.
func (e *exportWriter) line(rec []string) {
	e.buf.Reset()
	if e.count > 0 {
		e.buf.WriteByte('\n')
	}
	_ = e.cw.Write(rec)
	e.cw.Flush()
	out := bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))
	_, _ = e.w.Write(out)
	e.count++
}

// row writes one record, its cells in the order of the columns.
func (e *exportWriter) row(rec []string) {
	if e.csv {
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		e.line(rec)
		return
	}
	obj := make(map[string]string, len(rec))
	for i, k := range e.columns {
		obj[k] = rec[i]
	}
	b, _ := json.Marshal(obj)
	if e.count > 0 {
		_, _ = e.w.WriteString(",")
	}
	e.count++
	_, _ = e.w.Write(b)
}

// end completes the file.
func (e *exportWriter) end() {
	if e.csv {
		_, _ = e.w.WriteString("\n")
	} else {
		_, _ = e.w.WriteString("]\n")
	}
}

// handlePaymentsExport serves GET /admin/payments/export.csv and
// export.json: exactly the rows the list shows for the same filter (every
// page of them, the list's own query), streamed page by page in constant
// memory, and audited. CSV starts with a UTF-8 byte-order mark so that
// Excel reads Chinese right.
//
// A bad filter is answered before anything is sent. A failure once rows
// are going out cannot change the status line any more: it is logged,
// the file stays visibly incomplete (exportWriter) and, over HTTP/1.1,
// the connection is cut before the chunked body's end, so the browser
// reports the download as failed rather than saving a short file as if
// it were whole.
func (s *Server) handlePaymentsExport(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		in, bad := readListFilter(c).input(s.shopZone())
		if bad != "" {
			s.respondError(c, errBadRequest)
			return
		}
		in.Limit = exportPage
		ctx := c.Request.Context()
		page, err := s.svc.List(ctx, in)
		if err != nil {
			s.respondError(c, err)
			return
		}
		if err := s.opts.Accounts.Record(ctx, actor(c), "export."+format, "payments", "", c.Request.URL.RawQuery); err != nil {
			s.respondError(c, err)
			return
		}
		h := c.Writer.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		if format == "csv" {
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="payments.csv"`)
		} else {
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="payments.json"`)
		}
		c.Status(http.StatusOK)
		out := newExportWriter(c.Writer, format == "csv", exportColumns)
		for {
			for _, p := range page.Payments {
				row, err := s.listRow(ctx, p)
				if err != nil {
					s.log.Error("export cut short", "request_id", requestID(c), "format", format, "rows", out.count, "err", err)
					cutConnection(c.Writer)
					return
				}
				out.row(s.exportRow(p, row))
			}
			c.Writer.Flush()
			if page.Next == "" {
				break
			}
			in.Cursor = page.Next
			if page, err = s.svc.List(ctx, in); err != nil {
				s.log.Error("export cut short", "request_id", requestID(c), "format", format, "rows", out.count, "err", err)
				cutConnection(c.Writer)
				return
			}
		}
		out.end()
	}
}

// cutConnection closes the connection under a response whose body is
// already on its way, so that the client sees it end early instead of a
// well-formed end. Only HTTP/1.1 connections can be cut so; elsewhere the
// response ends normally and the content alone shows it is incomplete.
func cutConnection(w http.ResponseWriter) {
	var rw http.ResponseWriter = w
	for {
		u, ok := rw.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		rw = u.Unwrap()
	}
	hj, ok := rw.(http.Hijacker)
	if !ok {
		return
	}
	if conn, _, err := hj.Hijack(); err == nil {
		_ = conn.Close()
	}
}
