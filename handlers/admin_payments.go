package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// adminPageSize is how many payments one page of the list shows.
const adminPageSize = 50

// listStatuses are the statuses the list filters by, in lifecycle order.
var listStatuses = []string{"created", "pending", "paid", "failed", "expired", "canceled", "partially_refunded", "refunded"}

// parseSearch reads the list's search box: "reference:X" or plain text
// finds the merchant reference X. ok is false for a form the list cannot
// search yet (latipay:).
func parseSearch(q string) (reference string, ok bool) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return "", true
	case strings.HasPrefix(q, "reference:"):
		return strings.TrimSpace(strings.TrimPrefix(q, "reference:")), true
	case strings.HasPrefix(q, "latipay:"):
		return "", false
	}
	return q, true
}

// handlePaymentsList serves GET /admin/payments: newest first, filtered
// by status and the search box, all kept in the URL, and paged by a
// keyset cursor (the last row's time and id), so a page costs the same
// however deep.
func (s *Server) handlePaymentsList() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := views.PaymentList{Admin: s.withFeed(s.adminPage(c, "admin.payments.title", PaymentsPath)), Action: PaymentsPath,
			Status: c.Query("status"), Query: c.Query("q"), Statuses: listStatuses}
		ref, ok := parseSearch(v.Query)
		status := http.StatusOK
		if !ok {
			v.ErrorID, status = "admin.filter.bad", http.StatusBadRequest
			s.render(c, status, views.PaymentListPage(v))
			return
		}
		page, err := s.svc.List(c.Request.Context(), payments.ListInput{Status: v.Status, Reference: ref,
			Cursor: c.Query("cursor"), Limit: adminPageSize})
		if errors.Is(err, payments.ErrInvalid) {
			v.ErrorID, status = "admin.filter.bad", http.StatusBadRequest
			s.render(c, status, views.PaymentListPage(v))
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		q := url.Values{}
		for _, k := range []string{"status", "q"} {
			if x := c.Query(k); x != "" {
				q.Set(k, x)
			}
		}
		v.ExportCSV, v.ExportJSON = PaymentsPath+"/export.csv?"+q.Encode(), PaymentsPath+"/export.json?"+q.Encode()
		for _, p := range page.Payments {
			v.Rows = append(v.Rows, views.PaymentRow{ID: p.ID, Time: p.CreatedAt.UTC().Format("2006-01-02 15:04 MST"),
				Amount: payments.FormatAmount(p.Amount, p.Currency), Currency: string(p.Currency), Status: string(p.Status),
				Method: string(p.Method), Reference: p.Reference, OrderID: p.LatipayOrderID,
				Refunded: payments.FormatAmount(p.Refunded, p.Currency)})
		}
		if page.Next != "" {
			q := url.Values{}
			for _, k := range []string{"status", "q", "lang"} {
				if x := c.Query(k); x != "" {
					q.Set(k, x)
				}
			}
			q.Set("cursor", page.Next)
			v.NextURL = PaymentsPath + "?" + q.Encode()
		}
		s.render(c, status, views.PaymentListPage(v))
	}
}
