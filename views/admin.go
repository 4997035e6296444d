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
	CounterURL  string       // the counter a cashier sells at; "" when the app runs none
	Figures     *HomeFigures // an owner's figures; nil for none
}
