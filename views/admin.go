package views

// The back office's view models. Its pages share AdminLayout.

import "strings"

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
	// Session warns before the session ends (static/js/admin.js); nil on
	// the pages of signing in.
	Session *SessionWarning
}

// SessionWarning is the signed-in page's warning before its session
// ends, hidden until static/js/admin.js shows it: where the script asks
// the time left (and sends "Stay signed in"), the time left as the page's
// request left it, in seconds, how long before the end to warn, and the
// sign-in page that comes back to this one.
type SessionWarning struct {
	URL                                       string
	IdleSeconds, AbsoluteSeconds, WarnSeconds int
	SignInURL                                 string
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
	Session SessionLimits
}

// SessionLimits is when a back-office session ends, said where a person
// signs in: after IdleMinutes without their requests, and Hours after
// the sign-in however used.
type SessionLimits struct {
	IdleMinutes, Hours int
}

// Setup is the first run's form that creates the owner.
// PasswordErrorID is the error when the email and password did not
// match (the password is typed again), else "".
func (v SignIn) PasswordErrorID() string {
	if v.ErrorID == "admin.signin.bad" {
		return v.ErrorID
	}
	return ""
}

// RestartFocus reports whether the sign-in starts again from its first
// field (the second step's challenge is gone): the email takes focus.
func (v SignIn) RestartFocus() bool {
	return v.ErrorID == "admin.code.expired"
}

type Setup struct {
	Page
	Action  string
	Token   string
	Email   string
	ErrorID string
	// Dead is a link that cannot make the owner (never issued, expired,
	// or void because an owner exists): the page says so, with no form.
	Dead bool
	// SignInURL, when an owner exists, is the way to sign in instead.
	SignInURL string
}

// EmailErrorID is the error when it is the email's, else "".
func (v Setup) EmailErrorID() string {
	if v.ErrorID == "admin.setup.bademail" {
		return v.ErrorID
	}
	return ""
}

// PasswordErrorID is the error when it is the password's, else "".
func (v Setup) PasswordErrorID() string {
	if v.ErrorID == "admin.setup.badpassword" || strings.HasPrefix(v.ErrorID, "admin.password.") {
		return v.ErrorID
	}
	return ""
}

// AdminHome is the back office's first page.
type AdminHome struct {
	Admin
	PaymentsURL string       // "" for a cashier
	CounterURL  string       // the counter a cashier sells at; "" when the app runs none
	Figures     *HomeFigures // an owner's figures; nil for none
}
