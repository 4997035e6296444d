package latipaysim

import (
	"context"
	"encoding/json"
	"time"
)

// Journal is a ledger kept outside the simulator: sandbox mode keeps it
// in the app's own database, in a table of its own, so a payment made
// before a restart can still be queried and refunded after it, and
// several instances of the app sharing one PostgreSQL database share
// one simulated Latipay. With a Journal the simulator keeps no
// transaction in memory: each operation reads the entry it needs, and
// each change is one UpdateSandboxEntry.
//
// An entry is stored under its merchant reference (key) and can be found
// by its order id and nonce too; its body is the simulator's own JSON.
type Journal interface {
	// AddSandboxEntry stores a new entry. It reports false, storing
	// nothing, when key, orderID or nonce is already an entry's.
	AddSandboxEntry(ctx context.Context, key, orderID, nonce string, body []byte) (bool, error)
	// SandboxEntry returns the body of the entry whose key, order id or
	// nonce (by is "key", "order_id" or "nonce") is value, or nil when
	// there is none.
	SandboxEntry(ctx context.Context, by, value string) ([]byte, error)
	// UpdateSandboxEntry calls fn once with the body of key's entry and
	// stores the body fn returns, as one transaction during which no
	// other UpdateSandboxEntry of key (from any process) can read or
	// write it. fn returning nil stores nothing; fn's error is returned
	// and nothing is stored. It reports false, not calling fn, when key
	// has no entry. fn must not call the journal.
	UpdateSandboxEntry(ctx context.Context, key string, fn func(body []byte) ([]byte, error)) (bool, error)
	// SandboxEntries returns every entry's body.
	SandboxEntries(ctx context.Context) ([][]byte, error)
}

// entry is one transaction as the journal stores it: everything the
// simulator needs to go on answering for it.
type entry struct {
	Transaction
	Cents       int64     `json:"cents"`
	RefundedC   int64     `json:"refunded_cents"`
	Nonce       string    `json:"nonce"`
	HostType    string    `json:"host_type"`
	DataUsed    bool      `json:"data_used"`
	QRURL       string    `json:"qr_url"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	RefundKeys  []string  `json:"refund_keys,omitempty"`
	SettleAt    time.Time `json:"settle_at,omitzero"`
	SettleTo    string    `json:"settle_to,omitempty"`
}

// journalLedger is the ledger in a Journal.
type journalLedger struct {
	j         Journal
	merchants map[string]*Merchant
}

// encode is t's journal body.
func encode(t *txn) ([]byte, error) {
	e := entry{Transaction: t.Transaction, Cents: t.cents, RefundedC: t.refunded, Nonce: t.nonce,
		HostType: t.hostType, DataUsed: t.dataUsed, QRURL: t.qrURL, CompletedAt: t.completedAt,
		SettleAt: t.settleAt, SettleTo: t.settleTo}
	for k := range t.refunds {
		e.RefundKeys = append(e.RefundKeys, k)
	}
	return json.Marshal(e)
}

// decode reads a journal body; an entry of a merchant the simulator no
// longer serves is nil, as if it were not there.
func (l *journalLedger) decode(b []byte) (*txn, error) {
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, errLedger("journal entry", err)
	}
	m := l.merchants[e.UserID]
	if m == nil {
		return nil, nil
	}
	t := &txn{Transaction: e.Transaction, merchant: m, cents: e.Cents, refunded: e.RefundedC, nonce: e.Nonce,
		hostType: e.HostType, dataUsed: e.DataUsed, qrURL: e.QRURL, completedAt: e.CompletedAt,
		settleAt: e.SettleAt, settleTo: e.SettleTo, refunds: map[string]bool{}}
	for _, k := range e.RefundKeys {
		t.refunds[k] = true
	}
	return t, nil
}

func (l *journalLedger) get(ctx context.Context, by lookup, value string) (*txn, error) {
	b, err := l.j.SandboxEntry(ctx, by.String(), value)
	if err != nil {
		return nil, errLedger("read the journal", err)
	}
	if b == nil {
		return nil, nil
	}
	return l.decode(b)
}

func (l *journalLedger) add(ctx context.Context, t *txn) error {
	b, err := encode(t)
	if err != nil {
		return errLedger("journal entry", err)
	}
	ok, err := l.j.AddSandboxEntry(ctx, t.MerchantReference, t.OrderID, t.nonce, b)
	if err != nil {
		return errLedger("write the journal", err)
	}
	if ok {
		return nil
	}
	if old, err := l.j.SandboxEntry(ctx, byRef.String(), t.MerchantReference); err != nil {
		return errLedger("read the journal", err)
	} else if old != nil {
		return errRefUsed
	}
	return errIDUsed
}

func (l *journalLedger) update(ctx context.Context, ref string, fn func(t *txn) (bool, error)) (*txn, error) {
	var out *txn
	var fnErr error
	_, err := l.j.UpdateSandboxEntry(ctx, ref, func(b []byte) ([]byte, error) {
		t, err := l.decode(b)
		if err != nil || t == nil {
			return nil, err
		}
		changed, err := fn(t)
		if err != nil {
			fnErr = err
			return nil, err
		}
		out = t
		if !changed {
			return nil, nil
		}
		return encode(t)
	})
	switch {
	case fnErr != nil:
		return nil, fnErr
	case err != nil:
		return nil, errLedger("update the journal", err)
	}
	return out, nil
}

func (l *journalLedger) all(ctx context.Context) ([]*txn, error) {
	bodies, err := l.j.SandboxEntries(ctx)
	if err != nil {
		return nil, errLedger("read the journal", err)
	}
	out := make([]*txn, 0, len(bodies))
	for _, b := range bodies {
		t, err := l.decode(b)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out = append(out, t)
		}
	}
	return out, nil
}
