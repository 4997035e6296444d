package views

// Sample view models of the home's figures and the reports, for the
// catalogue's every-page-in-every-language test.

func homeFiguresSample() *HomeFigures {
	t := []TotalsView{{Currency: "NZD", Count: 2, Gross: "25.00", Refunds: "2.50", Net: "22.50"}}
	return &HomeFigures{Today: t, Week: t, Zone: "Pacific/Auckland", TodayText: "2026-03-01",
		Charts:    []Chart{NewChart("chart-NZD", "NZD", []string{"2026-02-28", "2026-03-01"}, []int64{0, 2500}, func(v int64) string { return "25.00" })},
		ChartDays: []ChartDay{{Day: "2026-03-01", Currency: "NZD", Count: 2, Gross: "25.00", Net: "22.50"}},
		Attention: []AttentionRow{{Kind: "paid_late", URL: "/admin/payments/pay_1", Reference: "ORDER-1", Amount: "NZD 12.50", Status: "paid", Time: "2026-03-01 10:00 NZDT"},
			{Kind: "needs_review", URL: "/admin/payments/pay_1", Reference: "ORDER-1", Amount: "NZD 12.50", Status: "paid"},
			{Kind: "stuck", URL: "/admin/payments/pay_2", Reference: "ORDER-2", Amount: "NZD 1.00", Status: "pending"},
			{Kind: "webhook", URL: "/admin/payments/pay_3", Reference: "ORDER-3", Amount: "NZD 1.00", Status: "paid", EventType: "payment.paid"}},
		Feed: []FeedItem{{ID: "pay_1", URL: "/admin/payments/pay_1", Time: "2026-03-01 10:00 NZDT", Amount: "NZD 12.50", Status: "paid", Method: "wechat", Reference: "ORDER-1"}}}
}

func reportsSample(a Admin, errID string) AdminReports {
	v := AdminReports{Admin: a, Action: "/admin/reports", From: "2026-02-23", To: "2026-03-01", Zone: "Pacific/Auckland", MaxDays: 366, ErrorID: errID}
	if errID == "" {
		v.ExportCSV = "/admin/reports/export.csv?from=2026-02-23&to=2026-03-01"
		v.Totals = []TotalsView{{Currency: "NZD", Count: 1, Gross: "12.50", Refunds: "0.00", Net: "12.50"}}
		for _, src := range []string{"api", "link", "counter_qr", "counter_scan", "static_qr", "other"} {
			v.Rows = append(v.Rows, ReportRowView{Day: "2026-03-01", Currency: "NZD", Method: "alipay", Source: src, Count: 1, Gross: "12.50", Refunds: "0.00", Net: "12.50"})
		}
	}
	return v
}
