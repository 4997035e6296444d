package latipaysim

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"time"
)

// Transaction statuses kept in the ledger.
const (
	statusPending  = "pending"
	statusPaid     = "paid"
	statusFailed   = "failed"
	statusCanceled = "canceled"
)

// Transaction is a snapshot of one ledger entry. Amounts are 2 dp strings
// (never floats); PaymentMethod is lower case; CallbackAttempts counts every
// POST made to CallbackURL (two per attempt under DuplicateCallbacks) and
// CallbacksAcked is set once one was answered 200 "sent".
type Transaction struct {
	MerchantReference string    `json:"merchant_reference"`
	OrderID           string    `json:"order_id"`
	UserID            string    `json:"user_id"`
	WalletID          string    `json:"wallet_id"`
	Currency          string    `json:"currency"`
	Amount            string    `json:"amount"` // 2 dp, e.g. "12.50"
	PaymentMethod     string    `json:"payment_method"`
	Status            string    `json:"status"` // pending, paid, failed or canceled
	ProductName       string    `json:"product_name"`
	ReturnURL         string    `json:"return_url"`
	CallbackURL       string    `json:"callback_url"`
	Refunded          string    `json:"refunded"` // total refunded, 2 dp
	Refunds           []Refund  `json:"refunds"`  // each refund made, oldest first
	CreatedAt         time.Time `json:"created_at"`
	PaidAt            time.Time `json:"paid_at,omitzero"` // zero unless paid
	CallbacksAcked    bool      `json:"callbacks_acked"`
	CallbackAttempts  int       `json:"callback_attempts"`
	Barcode           bool      `json:"barcode,omitempty"` // a pay code charged at the counter
}

// Refund is one refund Latipay made of a transaction.
type Refund struct {
	Reference string `json:"reference"` // the merchant's note sent with it
	Amount    string `json:"amount"`    // 2 dp
}

// txn is one ledger entry as the simulator works on it: a copy, read
// from the ledger (ledger.go) and written back whole by ledger.update.
type txn struct {
	Transaction
	merchant    *Merchant
	cents       int64 // amount in minor units
	refunded    int64 // minor units
	nonce       string
	hostType    string
	dataUsed    bool            // gatewaydata nonce consumed
	qrURL       string          // text of the QR code (host_type=1)
	completedAt time.Time       // when the status left pending
	refunds     map[string]bool // order_id|reference|amount of accepted refunds
	// settleAt and settleTo are a pending barcode transaction's scheduled
	// outcome (barcode.go); zero when it has none.
	settleAt time.Time
	settleTo string
}

// clone copies t deeply enough that changing the copy leaves t as it is.
func (t *txn) clone() *txn {
	c := *t
	c.Refunds = slices.Clone(t.Refunds)
	c.refunds = maps.Clone(t.refunds)
	if c.refunds == nil {
		c.refunds = map[string]bool{}
	}
	return &c
}

// snapshot copies t.
func (t *txn) snapshot() Transaction {
	c := t.Transaction
	c.Refunded = formatCents(t.refunded)
	c.Refunds = append([]Refund(nil), t.Refunds...)
	return c
}

// setStatus moves t to status; ledger.update's caller wakes the waiters.
func (t *txn) setStatus(status string, at time.Time) {
	t.Status = status
	t.completedAt = at
	if status == statusPaid {
		t.PaidAt = at
	}
}

// Ledger returns a snapshot of every transaction, sorted by creation. A
// ledger that cannot be read is logged and answered as empty.
func (s *Simulator) Ledger() []Transaction {
	ts, err := s.ledgerAll(context.Background())
	if err != nil {
		s.log.Error("latipaysim: read the ledger", "err", err)
		return nil
	}
	out := make([]Transaction, len(ts))
	for i, t := range ts {
		out[i] = t.snapshot()
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// Transaction returns a snapshot of the transaction with merchant
// reference ref. A ledger that cannot be read is logged and answered as
// not found.
func (s *Simulator) Transaction(ref string) (Transaction, bool) {
	t, err := s.load(context.Background(), byRef, ref)
	if err != nil {
		s.log.Error("latipaysim: read the ledger", "merchant_reference", ref, "err", err)
	}
	if t == nil {
		return Transaction{}, false
	}
	return t.snapshot(), true
}

// seedOrderIDs starts the order id sequence at a random point so that two
// simulator runs are unlikely to hand out the same ids.
func (s *Simulator) seedOrderIDs() error {
	var b [8]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return fmt.Errorf("latipaysim: read randomness: %w", err)
	}
	s.seq = int64(binary.BigEndian.Uint64(b[:]) % 50_000_000)
	return nil
}

// newOrderID returns YYYYMMDD (UTC+8) plus an 8-digit sequence, the format of
// real order ids (package latipay, Currencies, amounts and times). The caller holds mu.
func (s *Simulator) newOrderID(now time.Time) string {
	s.seq = (s.seq + 1) % 100_000_000
	return now.In(chinaTime).Format("20060102") + fmt.Sprintf("%08d", s.seq)
}

// newNonce returns 64 hex characters. The caller holds mu.
func (s *Simulator) newNonce() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("latipaysim: read randomness: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomText returns n characters from alphabet, without modulo bias. The
// caller holds mu.
func (s *Simulator) randomText(n int, alphabet string) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	var b [1]byte
	for len(out) < n {
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return "", fmt.Errorf("latipaysim: read randomness: %w", err)
		}
		if int(b[0]) < limit {
			out = append(out, alphabet[int(b[0])%len(alphabet)])
		}
	}
	return string(out), nil
}

// cryptoRand reads from crypto/rand.
type cryptoRand struct{}

func (cryptoRand) Read(p []byte) (int, error) { return rand.Read(p) }

// chinaTime is UTC+8, the zone of pay_time and order id dates (package latipay, Currencies, amounts and times).
var chinaTime = time.FixedZone("UTC+8", 8*60*60)
