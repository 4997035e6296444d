package views

import "context"

// The shopper-facing display's view models (display.templ): the screen a
// counter device pairs with, and the fragments its socket pushes.

// DisplayPair is the form that pairs a screen with a counter device.
type DisplayPair struct {
	Page
	Action  string
	Code    string // prefilled from the QR's ?code=
	ErrorID string // message id of what went wrong; "" for none
}

// LangText is one text in one language, shown with its lang attribute.
type LangText struct {
	Tag  string
	Text string
}

// Display is the screen facing the shopper. It starts idle; the socket
// pushes each step of the counter's sale.
type Display struct {
	Page
	Accept    []LangText // "We accept WeChat Pay and Alipay" in every language
	Marks     []string   // the wallets' brand marks (SVG URLs)
	SocketURL string     // path of the display's socket, with ?lang=
}

// DisplaySale is the sale in progress: the amount, the yuan estimate and,
// for a QR sale, the code to scan. QR is a data: URL; "" while the
// shopper pays by showing their own code.
type DisplaySale struct {
	Amount    Money
	AmountCNY string // Latipay's yuan figure; "" before Latipay gave one
	Rate      string
	Method    string // "wechat" or "alipay"; "" before one was chosen
	QR        string
	Mark      string // the wallet's brand mark (SVG URL); "" for none
	// Hint is the message id said under the amount of a sale without a
	// QR: "display.wait" while Latipay waits on the shopper's phone,
	// "display.refused" after it refused the pay code; "" for none.
	Hint string
}

// DisplayResult is the end of a sale: paid (the tick) or not, and why
// not (Reason, a message id: "display.failed", "display.expired",
// "display.canceled").
type DisplayResult struct {
	Paid   bool
	Amount Money
	Method string
	Reason string
}

// T returns message id in the language of ctx (handlers use it for the
// spoken announcement, which is text, not markup).
func T(ctx context.Context, id string, args ...any) string { return t(ctx, id, args...) }

// CounterDisplays is the counter device's page of its displays: the
// pairing code to type on a new one, and the ones paired.
type CounterDisplays struct {
	Page
	CounterCSS string
	DeviceName string
	Cashier    string
	BackURL    string
	CodeURL    string // form action that shows a new code
	Code       string // "1234 5678" after CodeURL; "" before
	QR         string // data: URL of the QR of DisplayURL?code=
	DisplayURL string // the address the display opens
	Seconds    int    // how long the code works
	Displays   []CounterDisplay
	NoticeID   string
}

// CounterDisplay is one paired display.
type CounterDisplay struct {
	Paired    string // when it was paired, in the shop's time zone
	RevokeURL string
}
