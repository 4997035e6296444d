package views

// The back office's home figures, live feed and reports (admin_home.templ).

// HomeFigures is what an owner's home page shows besides the layout.
type HomeFigures struct {
	Today     []TotalsView // per currency; empty when nothing was paid
	Week      []TotalsView // the last 7 days, today included
	Charts    []Chart      // the last 30 days, one chart per currency
	ChartDays []ChartDay   // the same days as a table, per currency
	Attention []AttentionRow
	// AttentionLinks lead from the attention block to every item of a
	// kind: how many more there are than it shows, or all of them.
	AttentionLinks []AttentionLink
	// Unknown are the newest payments Latipay reported paid under a
	// reference this database does not know (after a restore, payments
	// made after the backup); UnknownMore how many more there are.
	Unknown     []UnknownRow
	UnknownMore int
	Feed        []FeedItem // the latest payments; the socket adds to it
	TodayText   string     // today's date in the shop's zone, e.g. "2026-12-03"
	Zone        string     // the shop's zone, e.g. "Pacific/Auckland"
}

// UnknownRow is one payment Latipay reported paid that this shop does
// not know.
type UnknownRow struct {
	Reference string // Latipay's merchant reference, as it sent it
	Amount    string // "NZD 12.50"; "" when the stored body no longer verifies
	MethodID  string // "method.wechat"; "" for a method this version does not name
	Method    string // the method as Latipay sent it
	Time      string // when its callback arrived, shop time
}

// TotalsView is one currency's totals, formatted.
type TotalsView struct {
	Currency string
	Count    int64
	Gross    string // "12.50"
	Refunds  string
	Net      string
}

// ChartDay is one day x currency of the chart's data table.
type ChartDay struct {
	Day      string // "2026-12-03"
	Currency string
	Count    int64
	Gross    string
	Net      string
}

// AttentionRow is one payment that needs attention.
type AttentionRow struct {
	Kind      string // payments.Attention*: the message "home.attention.<kind>"
	URL       string // its detail page
	Reference string
	Amount    string // "NZD 12.50"
	Status    string
	Time      string // shop time
	EventType string // for a webhook: the event refused
	// MessageID says what it is when its kind's message is too general:
	// the anomaly of a payment under review; "" for "home.attention.<kind>".
	MessageID string
}

// AttentionLink leads to the full list of one kind of attention item.
type AttentionLink struct {
	Kind string // payments.Attention*
	More int    // how many the block does not show; 0: a link to all of them
	URL  string
}

// FeedItem is one payment in the live feed.
type FeedItem struct {
	ID        string
	URL       string
	Time      string // shop time of its last change
	Amount    string // "NZD 12.50"
	Status    string
	Method    string // "" before one was chosen
	Reference string
}

// AdminReports is the reports page: a date range and its rows.
type AdminReports struct {
	Admin
	Action    string // the page's own URL, for the range form
	From, To  string // YYYY-MM-DD
	Zone      string
	Rows      []ReportRowView
	Totals    []TotalsView // the whole range per currency
	ExportCSV string       // "" when the range is not valid
	ErrorID   string
	// ErrorField is the id of the date ErrorID is about (from, to).
	ErrorField string
	MaxDays    int
	// Devices and Cashiers share out the till's sales (channels Counter
	// QR and Counter scan) over the range by who sold, per currency;
	// Till is those channels' totals, which each adds up to.
	Devices, Cashiers []BreakdownRow
	Till              []TotalsView
}

// BreakdownRow is one device or cashier x currency of the till's sales.
type BreakdownRow struct {
	Name    string // as the device or the account is called; "" for none recorded
	Removed bool   // the account was removed since: Name is as it was called then
	// PaymentsURL is the payments list of the row: the sales paid in the
	// report's range in its currency on the device or by the cashier; ""
	// for sales with no record of either.
	PaymentsURL string
	Currency    string
	Count       int64
	Gross       string
	Refunds     string
	Net         string
}

// ReportRowView is one day x currency x method x channel of a report.
type ReportRowView struct {
	Day      string
	Currency string
	Method   string // "" for none chosen
	Source   string // payments.Source*: the message "report.channel.<source>"
	Count    int64
	Gross    string
	Refunds  string
	Net      string
	// PaymentsURL lists the payments paid in this row (the day by the
	// paid time, its currency, method and channel); RefundsURL downloads
	// the refunds that succeeded in it: what Count and Refunds add up.
	PaymentsURL, RefundsURL string
}
