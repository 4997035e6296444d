package counter

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latipay-hpp/hpp/payments"
)

// counterExpiry is a counter sale's payment window: the shopper is at the
// till, so a QR that nobody paid within it is no longer wanted.
const counterExpiry = 5 * time.Minute

// maxNoteLen is the most characters the cashier's optional note (the
// payment's description) may have; a longer one is refused, not cut.
const maxNoteLen = 100

// ValidKey reports whether k has the form of a device's idempotency key:
// 16 to 64 characters of A-Z, a-z, 0-9, '-' and '_'.
func ValidKey(k string) bool {
	if len(k) < 16 || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ChargeInput is a cashier's charge from the keypad.
type ChargeInput struct {
	Device   Device
	Key      string // the device's idempotency key for this sale
	Amount   string // decimal text in the shop's currency, e.g. "12.50"
	Note     string
	Source   string          // payments.SourceCounterQR or payments.SourceCounterScan
	Method   payments.Method // the wallet of a QR sale
	ClientIP string
	Lang     string
}

// Sale finds or makes the payment of a charge: the same device and key
// always give the same payment, whoever of two racing requests got there
// first. The cashier is the one unlocked on the device.
func (s *Service) sale(ctx context.Context, in ChargeInput) (payments.Payment, error) {
	if in.Device.CashierID == "" {
		return payments.Payment{}, ErrLocked
	}
	if !ValidKey(in.Key) {
		return payments.Payment{}, &InputError{Field: "key"}
	}
	if err := s.checkAmount(in.Amount); err != nil {
		return payments.Payment{}, err
	}
	if utf8.RuneCountInString(strings.TrimSpace(in.Note)) > maxNoteLen {
		return payments.Payment{}, ErrNoteTooLong
	}
	if sale, err := s.store.SaleByKey(ctx, in.Device.ID, in.Key); err == nil {
		return s.pay.Get(ctx, sale.PaymentID)
	} else if !errors.Is(err, ErrNotFound) {
		return payments.Payment{}, err
	}
	note := strings.TrimSpace(in.Note)
	p, _, err := s.pay.Create(ctx, payments.CreateInput{
		Amount: in.Amount, Currency: s.opts.Currency, Reference: "CTR-" + in.Key,
		Description: note, Source: in.Source, ExpiresIn: counterExpiry,
	}, "counter/"+in.Device.ID+"/"+in.Key)
	if errors.Is(err, payments.ErrIdempotencyReuse) {
		return payments.Payment{}, ErrKeyConflict
	}
	if err != nil {
		return payments.Payment{}, err
	}
	sale, err := s.store.AddSale(ctx, Sale{PaymentID: p.ID, DeviceID: in.Device.ID, AccountID: in.Device.CashierID,
		Key: in.Key, CreatedAt: s.now().UTC()})
	if errors.Is(err, ErrRevoked) {
		// Revoked while this request was under way, after its device was
		// checked: Revoke's listing cannot see a sale never recorded, so
		// the payment is closed here, before any QR or pay code is
		// started, as Revoke closes the device's open sales.
		if _, cerr := s.pay.CancelForRevokedDevice(ctx, p.ID); cerr != nil && !errors.Is(cerr, payments.ErrNotCancelable) {
			return payments.Payment{}, errors.Join(ErrRevoked, cerr)
		}
		return payments.Payment{}, ErrRevoked
	}
	if errors.Is(err, ErrDuplicateKey) && sale.PaymentID != p.ID {
		return s.pay.Get(ctx, sale.PaymentID)
	}
	if err != nil && !errors.Is(err, ErrDuplicateKey) {
		return payments.Payment{}, err
	}
	return p, nil
}

// ChargeQR makes (or finds, for a repeated key) the sale and shows the
// shopper our own QR for in.Method: the payment is started merchant-hosted,
// as on a desktop checkout. Asking again with another method switches the
// wallet on the same payment; the earlier QR, or a scanned pay code still
// waiting for the shopper's password, is canceled at Latipay then
// (payments.Service.Start), so the shopper cannot pay both. When Latipay
// says the shopper had already paid the earlier one (its callback late),
// no new QR is made and the sale is returned paid, as a settled sale is.
func (s *Service) ChargeQR(ctx context.Context, in ChargeInput) (payments.Started, error) {
	if in.Method != payments.MethodWeChat && in.Method != payments.MethodAlipay {
		return payments.Started{}, &InputError{Field: "method"}
	}
	in.Source = payments.SourceCounterQR
	p, err := s.sale(ctx, in)
	if err != nil {
		return payments.Started{}, err
	}
	if p.Status != payments.StatusCreated && p.Status != payments.StatusPending && p.Status != payments.StatusFailed {
		return payments.Started{Payment: p}, nil // already settled: the page shows the result
	}
	st, err := s.pay.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: string(in.Method),
		Device: payments.DeviceDesktop, ClientIP: in.ClientIP, Lang: in.Lang})
	if errors.Is(err, payments.ErrPaidBeforeReplace) {
		return payments.Started{Payment: st.Payment}, nil // the page shows the result
	}
	return st, err
}

// CheckSale returns a sale's payment when it was made on device d.
func (s *Service) CheckSale(ctx context.Context, d Device, paymentID string) (payments.Payment, Sale, error) {
	sale, err := s.store.Sale(ctx, paymentID)
	if errors.Is(err, ErrNotFound) || err == nil && sale.DeviceID != d.ID {
		return payments.Payment{}, Sale{}, ErrNotFound
	}
	if err != nil {
		return payments.Payment{}, Sale{}, err
	}
	p, err := s.pay.Get(ctx, paymentID)
	return p, sale, err
}

// CancelSale cancels an unpaid sale made on device d, for whichever
// cashier is unlocked on it now: a till is shared, and the cashier who
// took over from one who locked it must be able to end the sale left on
// screen, as they may switch its wallet (ChargeQR). The handlers audit who
// did it. A sale of another device is ErrNotFound; a paid one cannot be
// canceled (payments.ErrNotCancelable): the counter never refunds. It
// returns the sale too, which names the cashier who made it.
func (s *Service) CancelSale(ctx context.Context, d Device, paymentID string) (payments.Payment, Sale, error) {
	if d.CashierID == "" {
		return payments.Payment{}, Sale{}, ErrLocked
	}
	_, sale, err := s.CheckSale(ctx, d, paymentID)
	if err != nil {
		return payments.Payment{}, Sale{}, err
	}
	p, err := s.pay.CancelAtCounter(ctx, paymentID)
	return p, sale, err
}

// SaleRow is one of today's sales on a device: a sale made on it, or a
// payment through the shop's static QR (StaticQR, with a zero Sale).
type SaleRow struct {
	Payment  payments.Payment
	Sale     Sale
	StaticQR bool
}

// Total is the paid sales of one currency and method, and what was
// refunded of them, as the back office's reports count it: Amount is what
// the sales took (gross), Refunds what Latipay has given back of them
// (succeeded refunds; one still pending is not counted until it
// succeeds), Net what stays with the shop.
type Total struct {
	Currency payments.Currency
	Method   payments.Method
	Count    int
	Amount   int64 // minor units, gross
	Refunds  int64 // minor units
}

// Net is Amount minus Refunds.
func (t Total) Net() int64 { return t.Amount - t.Refunds }

// Today is what a device lists for the shop's day so far, newest first:
// its own sales and the payments of the shop's static QR paid today. Totals and
// Paid count the device's own paid sales only (refunded since or not;
// Totals say what was refunded of them): a static-QR payment is the
// whole shop's, shown on every counter, and would be counted once per
// till.
type Today struct {
	Since  time.Time
	Sales  []SaleRow
	Totals []Total
	Paid   int // how many of the device's own sales are paid
}

// maxToday bounds the sales listed for one day on one device, and
// separately the static-QR payments listed with them.
const maxToday = 500

// paidLike reports whether p was paid (and perhaps refunded since).
func paidLike(p payments.Payment) bool {
	return p.Status == payments.StatusPaid || p.Status == payments.StatusPartiallyRefunded || p.Status == payments.StatusRefunded
}

// startOfDay is the start of the shop's day around s.now.
func (s *Service) startOfDay() time.Time {
	now := s.now().In(s.opts.Location)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.opts.Location)
}

// Today lists device d's sales of the shop's day so far, with the shop's
// paid static-QR payments of the day, and the device's totals.
func (s *Service) Today(ctx context.Context, d Device) (Today, error) {
	since := s.startOfDay()
	sales, err := s.store.Sales(ctx, d.ID, since, maxToday)
	if err != nil {
		return Today{}, err
	}
	t := Today{Since: since}
	sums := map[[2]string]*Total{}
	for _, sale := range sales {
		p, err := s.pay.Get(ctx, sale.PaymentID)
		if err != nil {
			return Today{}, err
		}
		t.Sales = append(t.Sales, SaleRow{Payment: p, Sale: sale})
		if !paidLike(p) {
			continue
		}
		t.Paid++
		k := [2]string{string(p.Currency), string(p.Method)}
		if sums[k] == nil {
			sums[k] = &Total{Currency: p.Currency, Method: p.Method}
		}
		sums[k].Count++
		sums[k].Amount += p.Amount
		if p.Refunded > 0 {
			done, err := s.pay.SucceededRefunds(ctx, p.ID)
			if err != nil {
				return Today{}, err
			}
			sums[k].Refunds += done
		}
	}
	// Paid today, wherever it began: a shopper who typed the amount just
	// before midnight and paid just after paid today.
	static, err := s.staticQRSince(ctx, since.Add(-replayCreated))
	if err != nil {
		return Today{}, err
	}
	for _, p := range static {
		if !p.PaidAt.Before(since) {
			t.Sales = append(t.Sales, SaleRow{Payment: p, StaticQR: true})
		}
	}
	sort.SliceStable(t.Sales, func(i, j int) bool { return t.Sales[i].Payment.CreatedAt.After(t.Sales[j].Payment.CreatedAt) })
	for _, v := range sums {
		t.Totals = append(t.Totals, *v)
	}
	sort.Slice(t.Totals, func(i, j int) bool {
		a, b := t.Totals[i], t.Totals[j]
		return a.Currency < b.Currency || a.Currency == b.Currency && a.Method < b.Method
	})
	return t, nil
}

// staticQRSince lists the paid payments of the shop's static QR created
// at or after since, newest first, at most maxToday.
func (s *Service) staticQRSince(ctx context.Context, since time.Time) ([]payments.Payment, error) {
	var out []payments.Payment
	in := payments.ListInput{Source: payments.SourceStaticQR, From: since, Limit: 100}
	for scanned := 0; scanned < maxToday; {
		page, err := s.pay.List(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, p := range page.Payments {
			if paidLike(p) {
				out = append(out, p)
			}
		}
		scanned += len(page.Payments)
		if page.Next == "" {
			break
		}
		in.Cursor = page.Next
	}
	return out, nil
}

// replayWindow bounds how far back StaticQRPaidSince looks: a counter
// whose socket was down longer has the day's static-QR payments in its
// sales list, and a notice an hour old would only confuse the cashier.
// replayCreated is how long before a moment (a replay's since, the
// start of the shop's day) a static-QR payment paid after it may have
// been created: a payment is paid within its expiry, 15 minutes by
// default, or late, within hours.
const (
	replayWindow  = time.Hour
	replayCreated = 6 * time.Hour
)

// Now is the counter's clock: the page stamps its socket's URL with it,
// and the socket replays what was paid after the stamp (StaticQRPaidSince).
func (s *Service) Now() time.Time { return s.now() }

// StaticQRPaidSince returns the shop's static-QR payments that are paid
// and were paid after since, oldest first: what a counter whose socket was
// down (or not yet open) missed. Times are compared in whole microseconds,
// what the page's stamp and the socket's messages carry, so a payment the
// counter was sent is not sent again. since is moved up to replayWindow
// ago if older. A payment refunded meanwhile is left out, as the live
// feed sends only payments that became paid.
func (s *Service) StaticQRPaidSince(ctx context.Context, since time.Time) ([]payments.Payment, error) {
	if floor := s.now().Add(-replayWindow); since.Before(floor) {
		since = floor
	}
	static, err := s.staticQRSince(ctx, since.Add(-replayCreated))
	if err != nil {
		return nil, err
	}
	var out []payments.Payment
	for _, p := range static {
		if p.Status == payments.StatusPaid && p.PaidAt.UnixMicro() > since.UnixMicro() {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].PaidAt.Before(out[j].PaidAt) })
	return out, nil
}

// StaticQRPayment returns a payment a counter device may see although no
// device made it: one of the shop's static QR, paid today (the shop's
// day), as today's sales list it. Anything else is ErrNotFound.
func (s *Service) StaticQRPayment(ctx context.Context, paymentID string) (payments.Payment, error) {
	p, err := s.pay.Get(ctx, paymentID)
	if errors.Is(err, payments.ErrNotFound) {
		return payments.Payment{}, ErrNotFound
	}
	if err != nil {
		return payments.Payment{}, err
	}
	if p.Source != payments.SourceStaticQR || !paidLike(p) || p.PaidAt.Before(s.startOfDay()) {
		return payments.Payment{}, ErrNotFound
	}
	return p, nil
}

// LastRate is Latipay's most recent CNY rate for the shop's currency seen
// on this device's sales today ("" when none): the keypad's ~CNY estimate
// before a sale has its own.
func (t Today) LastRate() string {
	for _, r := range t.Sales {
		if r.Payment.CurrencyRate != "" {
			return r.Payment.CurrencyRate
		}
	}
	return ""
}

// rateScan is how many of the shop's latest payments Rate looks through
// for one that Latipay gave a rate.
const rateScan = 50

// Rate is the CNY rate the keypad estimates with before a sale has its
// own: the latest of today's sales on the device (t), else the latest
// Latipay gave any of the shop's recent payments in its currency, on any
// day and through any channel; "" when Latipay has never given one (a
// new shop: the first sale brings it). Before, the keypad knew only the
// device's sales of the day, so the ~CNY line stayed hidden until the
// first sale of every day.
func (s *Service) Rate(ctx context.Context, t Today) (string, error) {
	if r := t.LastRate(); r != "" {
		return r, nil
	}
	page, err := s.pay.List(ctx, payments.ListInput{Currency: s.opts.Currency, Limit: rateScan})
	if err != nil {
		return "", err
	}
	for _, p := range page.Payments {
		if p.CurrencyRate != "" {
			return p.CurrencyRate, nil
		}
	}
	return "", nil
}

// checkAmount says what is wrong with a typed amount: not a decimal,
// zero, or above the counter's limit.
func (s *Service) checkAmount(amount string) error {
	n, err := payments.ParseAmount(amount, s.Currency())
	if err != nil {
		if strings.Trim(strings.Replace(amount, ".", "", 1), "0") == "" && amount != "" {
			return ErrAmountZero
		}
		if strings.Trim(strings.Replace(amount, ".", "", 1), "0123456789") == "" && len(amount) > 13 {
			return ErrAmountLimit
		}
		return &InputError{Field: "amount"}
	}
	if n > s.opts.MaxAmount {
		return ErrAmountLimit
	}
	return nil
}
