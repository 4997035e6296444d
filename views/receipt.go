package views

// The receipts' view models: the print page for 58 and 80 mm receipt
// printers and the e-receipt page a shopper keeps (receipt.templ).

// ReceiptLines are the facts a receipt states, the same on paper and on
// the e-receipt page.
type ReceiptLines struct {
	TaxNumber string // the shop's tax number; "" prints none
	Amount    Money
	AmountCNY string // Latipay's yuan figure as sent, "60.41"; "" when none
	Rate      string // Latipay's rate as sent, "4.832151"
	Method    string // "wechat"; "" when unknown
	OrderID   string // Latipay's order id; "" when Latipay gave none
	Cashier   string // who took the payment; "" when not known
	Time      string // RFC 3339, for <time datetime>
	TimeText  string // "2026-12-03 09:15 UTC", in the shop's time zone
	Refunded  Money  // Minor 0 when nothing was refunded
	// Late is why the payment was paid late: "canceled" (paid after the
	// order was canceled), "failed" (after Latipay had said it failed),
	// "time" (after the time limit), or "" (on time).
	Late string
}

// ReceiptPrint is the print page: one receipt sized for a roll of paper.
type ReceiptPrint struct {
	Page
	Width       int // paper width in mm: 58 or 80
	Lines       ReceiptLines
	QR          string // data: URL of the e-receipt link's QR; "" prints none
	EReceiptURL string // the link the QR holds, offered on screen; "" for none
	Widths      []ReceiptWidth
	BackURL     string // where the screen-only link goes back to
	BackID      string // its words: "" for "Back to the payment"
}

// ReceiptWidth is a link to the same receipt for another paper width.
type ReceiptWidth struct {
	MM      int
	URL     string
	Current bool
}

// EReceipt is the shopper's e-receipt page. Paid is false for a payment
// that has no receipt (not paid): the page says so and nothing else.
type EReceipt struct {
	Page
	Paid  bool
	Lines ReceiptLines
}

// lateKey is the words of a late payment's note: after the order was
// canceled, after the payment had been marked failed (nothing expired),
// or (expired, unknown) after the time limit.
func lateKey(after string) string {
	switch after {
	case "canceled":
		return "paid.late.canceled"
	case "failed":
		return "paid.late.failed"
	}
	return "paid.late"
}

// unconfirmedKey is the words of the canceled or expired screen: key
// (for canceled, by who canceled) saying nothing was charged, or, while
// Latipay has not confirmed every attempt final, key+".unconfirmed"
// saying a payment the wallet shows is refunded or honoured by the shop.
func unconfirmedKey(key string, c Checkout) string {
	if c.Unconfirmed {
		return key + ".unconfirmed"
	}
	return key
}
