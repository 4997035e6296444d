package views

// The counter's view models: the pages a cashier's tablet shows
// (counter.templ) and the owner's counter page in the back office.

// CounterPair is the pairing form of a browser that is not a device yet.
type CounterPair struct {
	Page
	CounterCSS string // the counter's own stylesheet
	Action     string
	Code       string // filled in from the back office's QR
	ErrorID    string
}

// CounterUnlock is a locked device's screen: who unlocks it, and the PIN.
type CounterUnlock struct {
	Page
	CounterCSS string // the counter's own stylesheet
	DeviceName string
	Action     string
	People     []CounterPerson
	Chosen     string // the account chosen last
	ErrorID    string
}

// CounterPerson is someone with a PIN.
type CounterPerson struct {
	ID, Name string
	Locked   bool
}

// Counter is the keypad and the screens the script switches between: the
// QR for the shopper, the scan field and the result.
type Counter struct {
	Page
	CounterCSS    string // the counter's own stylesheet
	DeviceName    string
	Cashier       string
	Currency      string // "NZD"
	Rate          string // Latipay's last CNY rate, "" when none yet
	MaxAmount     int64  // minor units
	ResultSeconds int
	Methods       []string // "wechat", "alipay" as offered
	ChargeURL     string
	ScanURL       string
	SaleURL       string // prefix of a sale's JSON state: SaleURL + id
	SalesURL      string // today's sales page
	DisplaysURL   string // the displays facing the shopper; "" when none can pair
	LockURL       string
	SocketBase    string // prefix of the sale's websocket: SocketBase + id + "/ws"
	// LiveURL is the counter's own socket (the shop's static-QR payments as
	// they are paid); "" for none.
	LiveURL string
	// Polyfill and ZXingWasm are the vendored barcode reader, for browsers
	// without BarcodeDetector.
	Polyfill, ZXingWasm string
	// LockSeconds is how long the unlock has left as the page is served
	// (counter.UnlockLeft), LockWarnSeconds how long before that the page
	// warns (counter.LockWarnBefore), and LockAt the end's time of day in
	// the shop's zone ("18:43 NZDT"), which the warning says.
	LockSeconds, LockWarnSeconds int
	LockAt                       string
}

// CounterSales is today's sales on a device with the shift summary.
type CounterSales struct {
	Page
	CounterCSS string // the counter's own stylesheet
	DeviceName string
	Cashier    string
	BackURL    string
	Rows       []CounterSaleRow
	Totals     []CounterTotal
	Paid       int
	LiveURL    string // as Counter's: new static-QR payments join Rows live
}

// CounterSaleRow is one sale in the list.
type CounterSaleRow struct {
	ID     string
	Time   string // in the shop's time zone, "14:05"
	Amount Money
	Method string
	Status string
	// Refused: still open after Latipay refused its pay code, nothing
	// charged; said so rather than "waiting for payment".
	Refused   bool
	Cashier   string
	CancelURL string // "" unless the cashier may cancel it
	// ReceiptURL prints (or reprints) a paid sale's receipt; "" before
	// it is paid.
	ReceiptURL string
	// StaticQR marks a payment through the shop's printed QR: no device
	// made it, no cashier, never canceled from the counter.
	StaticQR bool
}

// CounterNotice is what the counter's socket sends when a payment through
// the shop's static QR is paid: the notice's text and the sales list's
// row, both in the page's language.
type CounterNotice struct {
	Text   string // "Static QR: NZ$12.50 paid with Alipay"
	Detail string // "14:03 · Ref. 4F2A9C"
}

// CounterTotal is the paid sales of one currency and method: what they
// took, what was refunded of them and what stays (Amount - Refunds).
type CounterTotal struct {
	Amount  Money
	Refunds Money
	Net     Money
	Method  string
	Count   int
}

// CounterGrand is each currency's total over every method of totals,
// in the order the currencies first come: the shift summary's last rows.
func CounterGrand(totals []CounterTotal) []CounterTotal {
	var out []CounterTotal
	at := map[string]int{}
	for _, t := range totals {
		i, ok := at[t.Amount.Currency]
		if !ok {
			i = len(out)
			at[t.Amount.Currency] = i
			zero := Money{Currency: t.Amount.Currency, Exponent: t.Amount.Exponent}
			out = append(out, CounterTotal{Amount: zero, Refunds: zero, Net: zero})
		}
		g := &out[i]
		g.Count += t.Count
		g.Amount.Minor += t.Amount.Minor
		g.Refunds.Minor += t.Refunds.Minor
		g.Net.Minor += t.Net.Minor
	}
	return out
}

// AdminCounter is the owner's counter page: devices, pairing and PINs.
type AdminCounter struct {
	Admin
	PairAction string
	PINAction  string
	Devices    []AdminDevice
	People     []AdminPINRow
	NoticeID   string
	ErrorID    string
	ErrorField string // the id of the field ErrorID is about, "" for none
	// Revoked is what revoking a device did to its open sales; nil
	// unless the page follows a revoke.
	Revoked *RevokedSales
}

// RevokedSales is what revoking a device did to its open sales: how
// many were canceled, and those paid meanwhile (kept paid) or whose
// cancel failed (still open), each linked to its payment.
type RevokedSales struct {
	Canceled int
	Paid     []SaleLink
	Failed   []SaleLink
}

// SaleLink names a sale (its reference) and links to its payment.
type SaleLink struct {
	Reference string
	URL       string
}

// ErrorFor is the error when it is about field (an id), else "".
func (v AdminCounter) ErrorFor(field string) string {
	if field == v.ErrorField {
		return v.ErrorID
	}
	return ""
}

// AdminDevice is one paired device.
type AdminDevice struct {
	ID            string
	Name          string
	Paired        string // time, in the shop's time zone
	Seen          string
	Cashier       string // "" when locked
	Revoked       bool
	ResultSeconds int
	RevokeAction  string
	DelayAction   string
}

// AdminPINRow is an account and its PIN's state.
type AdminPINRow struct {
	ID, Name, Role string
	HasPIN, Locked bool
}

// CounterPairing is the owner's fresh pairing code and its QR.
type CounterPairing struct {
	Admin
	Code       string // "1234 5678"
	QR         string // data: URL of the QR of PairURL
	PairURL    string
	Seconds    int // how long it stays valid
	BackURL    string
	DeviceName string
}
