package views

// Page is what every page's layout needs.
type Page struct {
	Title        string
	Description  string // the meta description, for search results; "" for none
	MerchantName string
	Sandbox      bool
	CSS          string // hashed stylesheet URL
	JS           string // hashed script URL; empty for pages without script
	Langs        []LangLink
	LogoURL      string // merchant logo served by us; "" for none
	ThemeCSS     string // stylesheet with the merchant's accent colour; "" for none
	Favicon      string // hashed favicon URL
}

// LangLink is one entry of the language switch: this page in another
// language.
type LangLink struct {
	Tag     string // "zh-Hans"
	Name    string // the language's own name, "简体中文"
	URL     string
	Current bool
}

// Screen is what the checkout's panel shows. Handlers derive it from the
// payment's status in one exhaustive switch (handlers' screenFor, whose
// test walks every payments.Status), and the templates switch on it, never
// on status strings: a new status without a screen fails that test instead
// of falling silently into a default branch.
type Screen string

// The checkout's screens.
const (
	ScreenOpen     Screen = "open"     // choosing a method, or its QR
	ScreenFailed   Screen = "failed"   // the last attempt failed; choose again
	ScreenPaid     Screen = "paid"     // the receipt
	ScreenRefunded Screen = "refunded" // the receipt and the refunded amount
	ScreenExpired  Screen = "expired"  // the time ran out, nothing charged
	ScreenCanceled Screen = "canceled" // canceled by the shop or the shopper
)

// Screens lists every screen; the templates' switch has a case for each.
var Screens = []Screen{ScreenOpen, ScreenFailed, ScreenPaid, ScreenRefunded, ScreenExpired, ScreenCanceled}

// Money is an amount in minor units of an ISO 4217 currency; the page
// formats it in the shopper's language (see formatMoney).
type Money struct {
	Minor    int64
	Currency string // "NZD"
	Exponent int    // minor-unit digits, 2 for every currency Latipay holds
}

// Checkout is the checkout page and its live panel.
type Checkout struct {
	Page
	ID          string
	Amount      Money
	AmountCNY   string // Latipay's yuan figure as it sent it, "60.41"; "" when none
	Rate        string // Latipay's rate as it sent it, "4.832151"
	Description string
	Reference   string
	Screen      Screen
	Status      string // payments.Status, for data-status and the heading
	Version     int64
	Receipt     Receipt // filled on the paid and refunded screens
	Refunded    Money   // refunded so far; Minor 0 when nothing was
	// CancelURL is the form action that cancels the payment and returns
	// the shopper to the merchant's cancel_url; "" when it has none.
	CancelURL string
	PaidLate  bool
	// PaidLateAfter is the status a late paid found: "canceled", "failed"
	// (each worded as such), or "expired" / "" (worded as after the time
	// limit).
	PaidLateAfter string
	// CanceledBy is who canceled a canceled payment: "shopper",
	// "merchant", or "" when not known; the page words it accordingly.
	CanceledBy string
	// Unconfirmed: canceled or expired here, but Latipay has not yet made
	// every attempt final (a cancel it did not answer, an expiry the
	// reconciler has yet to cancel there): the page does not say nothing
	// was charged, only that the shop refunds or honours a payment.
	Unconfirmed bool
	Methods     []Method
	StartURL    string // form action for choosing a method
	ChooseURL   string // link back to the method chooser from a QR
	QR          *QR    // set while a QR is shown
	ExpiresAt   string // RFC 3339, for the countdown
	ExpiresText string // "15:04 NZDT", the deadline in the shop's zone, for pages without JavaScript
	// StateTitle is the page's title for this state ("Paid – Pay Demo
	// Shop"): the server renders it as the title, and as the h1 for
	// screen readers of a payment without a description; the script sets
	// both when it swaps the panel in.
	StateTitle string
	// CheckURL is this checkout's own page, which a shopper without
	// JavaScript follows to see the current status (the page does not
	// refresh by itself).
	CheckURL string
	BackURL  string // merchant's return (or cancel) URL; "" if none
	// CloseHint: no shop page to go back to (a payment link's payment
	// returns to this server's own home page): say the page may be
	// closed instead of offering a way back.
	CloseHint bool
	Error     string // message for the shopper, already translated
	// LinkTaken: the failed payment of a stored link cannot start again,
	// its place having gone to another checkout or the link being used
	// up; the failed screen offers no method (Error says why).
	LinkTaken bool
	// Live status wiring, used by the script.
	StatusURL string
	PanelURL  string
	SocketURL string // ws path with its token
	// AlipayElsewhere: inside WeChat with Alipay offered, show how to open
	// the page in the phone's browser to pay with Alipay.
	AlipayElsewhere bool
	// WeChatElsewhere: inside Alipay with WeChat Pay offered, show how to
	// open the page in WeChat to pay with WeChat Pay.
	WeChatElsewhere bool
	// EmbedOrigin is the merchant origin framing the page, validated
	// against HPP_MERCHANT_ORIGINS; the script posts status changes to
	// it and nowhere else. "" when not embedded.
	EmbedOrigin string
}

// Receipt is what the success page states beside the amount.
type Receipt struct {
	Method     string // "wechat"; "" when unknown
	PaidAt     string // RFC 3339, for <time datetime>
	PaidAtText string // "2026-12-03 09:15 UTC"
	OrderID    string // Latipay's order id; "" when Latipay gave none
}

// Method is one payment method button.
type Method struct {
	Value  string // "wechat"
	Hosted bool   // leaves our page: the button targets the top window
	Mark   string // the wallet's brand mark (SVG URL); "" for none
}

// QR is a merchant-hosted QR code on our own page.
type QR struct {
	ImageURL  string
	Method    string
	Reference string
	Mark      string // the wallet's brand mark (SVG URL); "" for none
	// Size is the image's width and height in CSS pixels, exactly as
	// drawn: Modules (quiet zone included) times whole pixels per module.
	// SrcSet offers the same size drawn for 2x and 3x screens; Box is the
	// widest the page's script may refit it to (CSS pixels), asking
	// ImageURL for a whole number of device pixels per module.
	Size    int
	Modules int
	SrcSet  string
	Box     int
	// Refresh: when the script asks for a fresh QR (RFC 3339; "" = never,
	// because the payment window ends first) and where.
	RefreshAt  string
	RefreshURL string
	// SamePhone: a phone browser showing a WeChat QR; the page adds the
	// same-phone helper (save the image, scan from the album, open in
	// WeChat by link).
	SamePhone   bool
	DownloadURL string // the QR image as an attachment
	OpenURL     string // absolute checkout URL to paste into WeChat
	StepImages  [3]string
	// InWallet: the page is open inside a wallet's own browser, "wechat"
	// (WeChat) or "alipay" (Alipay), where the phone cannot scan its own
	// screen: the scan instruction says to scan from another phone.
	// "" in any other browser.
	InWallet string
	// PayHere: InWallet is this QR's wallet (WeChat's QR in WeChat,
	// Alipay's in Alipay); it offers paying right there, which replaces
	// the QR (a start of the same method).
	PayHere bool
	// Elsewhere: InWallet is another wallet than this QR's (Alipay's QR
	// in WeChat, WeChat's in Alipay), where the QR cannot be paid; the
	// page says so and how to open it where it can. SwitchHere: InWallet's
	// own method is offered; the page offers paying with it right there,
	// a switch of wallet that replaces the QR.
	Elsewhere  bool
	SwitchHere bool
	// Sandbox controls; empty outside sandbox mode.
	SimulateURL string
	ReturnTo    string
}

// Error is a friendly error page. Its Page's Title says what happened
// and is its heading too.
type Error struct {
	Page
	Status    int
	MessageID string
	Arg       string
	BackURL   string
	// BackID is the way back's message: "" for "Back to <the shop>" (the
	// merchant's site), else one without arguments ("error.back.admin").
	BackID string
	// EmbedOrigin is the merchant's registered origin when the page is
	// shown inside its embed: the page's script passes Esc up to it only.
	EmbedOrigin string
}

// Home is the landing page.
type Home struct {
	Page
	DemoURL string // sandbox only
}
