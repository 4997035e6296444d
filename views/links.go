package views

// The view models of stored payment links: the owner's list, form and
// detail, the printable poster, and the shopper's link page.

// LinkRow is one link as the back office lists it.
type LinkRow struct {
	ID          string
	URL         string // the shopper's absolute URL, /l/<id>
	DetailURL   string
	Kind        string // "link" or "static_qr"
	Amount      string // "NZD 12.50" or "NZD 5.00 - 200.00"
	Description string
	Paid        string // payments paid: "2", or "2 / 5" of the maximum
	Open        string // checkouts open, each holding a place: "1"
	// Over is how many payments were paid beyond the maximum (paid after
	// their checkout had closed and given its place away): "1"; "" when
	// none.
	Over string
	// Limited is a link with a maximum number of payments: its page says
	// that a refunded payment keeps its place.
	Limited bool
	Expires string // "" for never
	State   string // active, inactive, expired, usedup
}

// LinkForm is the create form as typed, kept when it is refused.
type LinkForm struct {
	Kind, Currency, Amount, Min, Max string
	DescEN, DescHans, DescHant       string
	Expires, MaxUses                 string
}

// LinkList is the links page: the form and the links.
type LinkList struct {
	Admin
	Action     string
	Currencies []string
	Form       LinkForm
	ErrorIDs   []string // one message id per problem with the form
	Rows       []LinkRow
	OlderURL   string // the next page of older links; "" on the last
	NewestURL  string // the first page; "" on it
}

// PosterSize is one paper size a poster prints on.
type PosterSize struct {
	Size string // "A4"
	URL  string
}

// LinkDetail is one link: its URL, QR, posters and switch.
type LinkDetail struct {
	Admin
	Row       LinkRow
	QRPNG     string
	QRSVG     string
	Posters   []PosterSize
	ToggleURL string
	Active    bool
	NoticeID  string
}

// Poster is the printable poster of a link.
type Poster struct {
	Page
	Size        string // A4, A5 or A6
	QRSVG       string // the QR's URL
	Static      bool   // the shop's counter QR: the shop's name comes first
	Amount      string // "" for an open amount
	Description string
	AcceptedEN  string // "WeChat Pay / Alipay accepted", always in English
	AcceptedZH  string // the same in Chinese
	URL         string // the link, printed small under the QR
	Sizes       []PosterSize
	BackURL     string
	PosterCSS   string
}

// LinkPay is the shopper's page of a link: pay a fixed amount, or type
// one; or, when the link cannot take a payment, why (StateID).
type LinkPay struct {
	Page
	Static      bool // the shop's counter QR: the shop's name shown large
	Description string
	Amount      string // fixed amount, formatted; "" for an open amount
	Currency    string
	Min, Max    string // open amount bounds, "5000.00"
	// MinMoney, MaxMoney and AmountMoney are the bounds and the fixed
	// amount as money, written in the page's language ("NZ$ 5,000.00")
	// as the checkout writes amounts.
	MinMoney, MaxMoney, AmountMoney Money
	Typed                           string
	Action                          string
	Key                             string // the form's one-time key
	ErrorID                         string // what is wrong with the typed amount
	StateID                         string // the link cannot take a payment: message id of why
}

// Settings is the read-only configuration, secrets masked, and the
// outcome of the last Latipay credential check.
type Settings struct {
	Admin
	Rows     [][2]string // name, value
	CheckURL string      // "" when there is nothing to check
	Checked  bool
	Wallets  []WalletResult
}

// WalletResult is one wallet's check, in words.
type WalletResult struct {
	Currency, WalletID string
	OK                 bool
	Methods            string // "Wechat, Alipay"
	ProblemID          string
	Code               string
}
