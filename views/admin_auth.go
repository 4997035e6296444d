package views

// The view models of the back office's sign-in second step, two-step
// settings, accounts, sessions and audit pages (admin_auth.templ).

// Reauth is the "confirm it is you" form that credential and people
// changes need within ten minutes of the last confirmation.
type Reauth struct {
	Action   string // "" when the session confirmed recently: no form
	Next     string // where to come back
	NeedCode bool   // the account has two-step sign-in on
	// ErrorID is the page's error when it is about this form (a wrong
	// password or code, or none given): FieldErrorID ties it to its field.
	ErrorID string
}

// SignInCode is the second step of a sign-in: a code from the app.
type SignInCode struct {
	Page
	Action  string
	Next    string
	ErrorID string
	Minutes int // how long the code is awaited after the password
}

// TOTPSettings is the two-step sign-in page of the signed-in person.
type TOTPSettings struct {
	Admin
	Reauth
	On           bool
	RecoveryLeft int      // unused recovery codes, when On
	Secret       string   // the key to type in, while enrolling
	QR           string   // data: URL of the key's QR, while enrolling
	Action       string   // confirms the enrolment with a code
	OffAction    string   // turns two-step sign-in off
	Recovery     []string // the recovery codes, shown once
	ErrorID      string
	ErrorField   string // the id of the field ErrorID is about: code, off-password, off-code
	NoticeID     string
}

// AccountsPage lists the shop's accounts with the owner's actions.
type AccountsPage struct {
	Admin
	Reauth
	Rows         []AccountRow
	InviteAction string
	Roles        []string
	// Link is a new one-time link for LinkEmail to choose a password,
	// shown once to the owner to hand over.
	Link, LinkEmail string
	ErrorID         string
	// ErrorField is the id of the invitation's field ErrorID is about
	// (invite-email, invite-name, invite-role); Invite* hold what was
	// typed there, so the refused invitation comes back as sent.
	ErrorField                          string
	InviteEmail, InviteName, InviteRole string
	NoticeID                            string
}

// AccountRow is one account with the actions on it.
type AccountRow struct {
	ID, Email, Name, Role string
	State                 string // "active", "invited" or "locked"
	TOTP                  bool
	Self                  bool
	RoleURL               string
	ResetURL              string
	RemoveURL             string
}

// InvitePage is where an invited person chooses their password.
type InvitePage struct {
	Page
	Action  string
	Token   string
	Email   string // "" when the link cannot be used
	ErrorID string
}

// SessionsPage lists sessions: every one for an owner, one's own else.
type SessionsPage struct {
	Admin
	Rows     []SessionRow
	All      bool // an owner's view, with who
	NoticeID string
	ErrorID  string
}

// SessionRow is one signed-in browser.
type SessionRow struct {
	Hash      string
	AccountID string
	Email     string
	Address   string
	Device    string
	Started   string
	Seen      string
	This      bool // the session viewing the page
	RevokeURL string
	AllURL    string // ends every session of the account
}

// AuditPage is one page of the audit log with its filters.
type AuditPage struct {
	Admin
	Action     string   // the page's own URL, for the filter form
	Filter     string   // the action filtered on
	Account    string   // the account id filtered on
	Actions    []Option // every action the filter offers, by its name
	Accounts   []Option
	Rows       []AuditRow
	NextURL    string
	ExportCSV  string
	ExportJSON string
}

// Option is one choice of a select.
type Option struct{ Value, Label string }

// AuditRow is one line of the audit log.
type AuditRow struct {
	Time, Email, Address, Device, Target string
	Action                               string // the recorded code
	Label                                string // the action's name in the page's language
	Detail                               string // what was recorded before and after, in the page's language
	// StartUp: done by the app at start-up, not by an account (Email is "").
	StartUp bool
}

// PasswordPage is where a signed-in person changes their own password.
type PasswordPage struct {
	Admin
	Action   string
	ErrorID  string
	NoticeID string
}
