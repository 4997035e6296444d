package views

// The back office's view models. Its pages share AdminLayout.

// Admin is what every signed-in back-office page needs.
type Admin struct {
	Page
	Email      string // who is signed in
	Role       string // "owner" or "cashier"
	SignOutURL string
	Nav        []NavLink
	// Feed is the live feed's socket path; with Page.JS set, the page
	// follows the shop's payments as they happen (static/js/admin.js).
	Feed string
}

// NavLink is one entry of the back office's navigation.
type NavLink struct {
	URL     string
	LabelID string // message id
	Current bool
}

// SignIn is the sign-in form.
type SignIn struct {
	Page
	Action  string
	Email   string
	Next    string
	ErrorID string // message id of what went wrong; "" for none
}

// Setup is the first run's form that creates the owner.
type Setup struct {
	Page
	Action  string
	Token   string
	Email   string
	ErrorID string
}

// AdminHome is the back office's first page.
type AdminHome struct {
	Admin
	PaymentsURL string       // "" for a cashier
	Figures     *HomeFigures // an owner's figures; nil for none
}

// PaymentList is one page of the payments list with its filters.
type PaymentList struct {
	Admin
	Action   string // the list's own URL, for the filter form
	Status   string
	Query    string
	Statuses []string
	Rows     []PaymentRow
	NextURL  string // "" on the last page
	ErrorID  string
	// ExportCSV and ExportJSON download every row the filters select.
	ExportCSV, ExportJSON string
}

// PaymentRow is one payment as the list shows it.
type PaymentRow struct {
	ID        string
	Time      string // in the shop's time zone
	Amount    string // "12.50"
	Currency  string
	Status    string
	Method    string // "" before one was chosen
	Reference string
	OrderID   string // Latipay's order id
	Refunded  string // "0.00" when none
}

// PaymentDetail is one payment with its timeline and actions.
type PaymentDetail struct {
	Admin
	Row        PaymentRow
	Timeline   []TimelineItem
	RefundURL  string // "" when it cannot be refunded
	Refundable string // the most a refund may be, e.g. "12.50"
	NeedPW     bool   // the password must be confirmed again
	IdemKey    string // makes a double click refund once
	CancelURL  string // "" when it cannot be canceled
	ErrorID    string
	ErrorArg   string // Latipay's own words, when it refused
	NoticeID   string
}

// TimelineItem is one event in a payment's life.
type TimelineItem struct {
	Time   string
	Type   string
	Detail string
}
