package views

// Page is what every page's layout needs.
type Page struct {
	Title        string
	Description  string // the meta description, for search results; "" for none
	MerchantName string
	Sandbox      bool
	CSS          string // hashed stylesheet URL
	JS           string // hashed script URL; empty for pages without script
	Refresh      int    // seconds for the no-JavaScript refresh fallback; 0 = none
	Langs        []LangLink
	LogoURL      string // merchant logo served by us; "" for none
	ThemeCSS     string // stylesheet with the merchant's accent colour; "" for none
}

// LangLink is one entry of the language switch: this page in another
// language.
type LangLink struct {
	Tag     string // "zh-Hans"
	Name    string // the language's own name, "简体中文"
	URL     string
	Current bool
}

// Checkout is the checkout page and its live panel.
type Checkout struct {
	Page
	ID          string
	Amount      string // "12.50"
	Currency    string
	AmountCNY   string // "" when Latipay gave none
	Rate        string
	Description string
	Reference   string
	Status      string // payments.Status
	Version     int64
	PaidLate    bool
	Methods     []Method
	StartURL    string // form action for choosing a method
	ChooseURL   string // link back to the method chooser from a QR
	QR          *QR    // set while a QR is shown
	ExpiresAt   string // RFC 3339, for the countdown
	ExpiresText string // "15:04" UTC, for pages without JavaScript
	BackURL     string // merchant's return (or cancel) URL; "" if none
	Error       string // message for the shopper, already translated
	// Live status wiring, used by the script.
	StatusURL string
	PanelURL  string
	SocketURL string // ws path with its token
	// AlipayElsewhere: inside WeChat with Alipay offered, show how to open
	// the page in the phone's browser to pay with Alipay.
	AlipayElsewhere bool
	// EmbedOrigin is the merchant origin framing the page, validated
	// against HPP_MERCHANT_ORIGINS; the script posts status changes to
	// it and nowhere else. "" when not embedded.
	EmbedOrigin string
}

// Method is one payment method button.
type Method struct {
	Value  string // "wechat"
	Hosted bool   // leaves our page: the button targets the top window
}

// QR is a merchant-hosted QR code on our own page.
type QR struct {
	ImageURL  string
	Method    string
	Reference string
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
	// Sandbox controls; empty outside sandbox mode.
	SimulateURL string
	ReturnTo    string
}

// Error is a friendly error page.
type Error struct {
	Page
	Status    int
	MessageID string
	Arg       string
	BackURL   string
}

// Home is the landing page.
type Home struct {
	Page
	DemoURL string // sandbox only
}
