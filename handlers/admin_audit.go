package handlers

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

// AuditPath is the audit log (owners).
const AuditPath = "/admin/audit"

// auditPage is how many entries a page shows and an export reads at once.
const auditPage = 50

// auditColumns are the audit exports' columns: time is ISO 8601 with the
// offset of the shop's zone (exportTime), like every export's, and
// time_zone, last so the others keep their places, names that zone.
var auditColumns = []string{"seq", "time", "email", "account_id", "address", "device", "action", "target", "before", "after", "time_zone"}

// auditFilter reads the page's filters; ok is false for a malformed one.
func auditFilter(c *gin.Context) (f accounts.AuditFilter, ok bool) {
	f = accounts.AuditFilter{Action: c.Query("action"), AccountID: c.Query("account"), Limit: auditPage}
	if b := c.Query("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return f, false
		}
		f.Before = n
	}
	return f, len(f.Action) <= 64 && len(f.AccountID) <= 64
}

// auditQuery is the filters as a query string, without paging.
func auditQuery(f accounts.AuditFilter) url.Values {
	q := url.Values{}
	if f.Action != "" {
		q.Set("action", f.Action)
	}
	if f.AccountID != "" {
		q.Set("account", f.AccountID)
	}
	return q
}

// handleAuditShow serves GET /admin/audit: newest first, keyset paged by
// sequence number, filtered by action and account.
func (s *Server) handleAuditShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		f, ok := auditFilter(c)
		if !ok {
			s.respondError(c, errBadRequest)
			return
		}
		ctx := c.Request.Context()
		es, err := s.opts.Accounts.Store().Audit(ctx, f)
		if err != nil {
			s.respondError(c, err)
			return
		}
		as, err := s.opts.Accounts.Store().Accounts(ctx)
		if err != nil {
			s.respondError(c, err)
			return
		}
		q := auditQuery(f)
		loc := s.localizer(c)
		v := views.AuditPage{Admin: s.adminPage(c, "admin.audit.title", AuditPath), Action: s.langPath(c, AuditPath),
			Filter: f.Action, Account: f.AccountID,
			ExportCSV: AuditPath + "/export.csv?" + q.Encode(), ExportJSON: AuditPath + "/export.json?" + q.Encode()}
		// The filter offers every action the app records; any other
		// recorded action can still be filtered on through the URL.
		actions := auditActions
		if f.Action != "" && !slices.Contains(actions, f.Action) {
			actions = append(slices.Clone(actions), f.Action)
		}
		for _, a := range actions {
			v.Actions = append(v.Actions, views.Option{Value: a, Label: auditLabel(loc, a)})
		}
		for _, a := range as {
			v.Accounts = append(v.Accounts, views.Option{Value: a.ID, Label: a.Email})
		}
		for _, e := range es {
			v.Rows = append(v.Rows, auditRow(loc, e, s.shopZone()))
		}
		if len(es) == auditPage {
			q.Set("before", strconv.FormatInt(es[len(es)-1].Seq, 10))
			v.NextURL = s.langPath(c, AuditPath+"?"+q.Encode())
		}
		s.render(c, http.StatusOK, views.AuditPageView(v))
	}
}

func auditRow(loc views.Localizer, e accounts.AuditEntry, zone *time.Location) views.AuditRow {
	startUp := e.Email == accounts.StartUpEmail
	if startUp {
		e.Email = ""
	}
	if e.Email == accounts.APIEmail {
		e.Email = loc.T("admin.audit.api")
	}
	return views.AuditRow{Time: e.At.In(zone).Format("2006-01-02 15:04:05 MST"), Email: e.Email, Address: e.Address, Device: e.Device,
		Action: e.Action, Label: auditLabel(loc, e.Action), Target: e.Target, Detail: auditDetail(loc, e), StartUp: startUp}
}

// handleAuditExport serves GET /admin/audit/export.csv and export.json:
// every entry the page's filters select, newest first, streamed page by
// page. CSV starts with a UTF-8 byte-order mark and neutralizes cells a
// spreadsheet would run as formulas, as the payments export does. The
// export is itself in the audit log.
func (s *Server) handleAuditExport(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, ok := auditFilter(c)
		if !ok {
			s.respondError(c, errBadRequest)
			return
		}
		f.Before = 0
		ctx := c.Request.Context()
		// Recorded first, so the export holds its own line.
		if err := s.opts.Accounts.Record(ctx, actor(c), "export.audit."+format, "audit", "", c.Request.URL.RawQuery); err != nil {
			s.respondError(c, err)
			return
		}
		es, err := s.opts.Accounts.Store().Audit(ctx, f)
		if err != nil {
			s.respondError(c, err)
			return
		}
		h := c.Writer.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		var cw *csv.Writer
		if format == "csv" {
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="audit.csv"`)
			c.Status(http.StatusOK)
			_, _ = c.Writer.WriteString("\ufeff")
			cw = csv.NewWriter(c.Writer)
			_ = cw.Write(auditColumns)
		} else {
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="audit.json"`)
			c.Status(http.StatusOK)
			_, _ = c.Writer.WriteString("[")
		}
		first := true
		for len(es) > 0 {
			for _, e := range es {
				row := []string{strconv.FormatInt(e.Seq, 10), s.exportTime(e.At), e.Email, e.AccountID,
					e.Address, e.Device, e.Action, e.Target, e.Before, e.After, s.shopZone().String()}
				if cw != nil {
					for i := range row {
						row[i] = csvCell(row[i])
					}
					_ = cw.Write(row)
					continue
				}
				obj := make(map[string]string, len(row))
				for i, k := range auditColumns {
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
			if len(es) < f.Limit {
				break
			}
			f.Before = es[len(es)-1].Seq
			if es, err = s.opts.Accounts.Store().Audit(ctx, f); err != nil {
				s.log.Error("audit export", "request_id", requestID(c), "err", err)
				return
			}
		}
		if cw == nil {
			_, _ = c.Writer.WriteString("]\n")
		}
	}
}
