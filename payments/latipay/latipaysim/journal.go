package latipaysim

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Journal keeps the ledger across restarts: sandbox mode keeps it in the
// app's own database, in tables of its own, so a payment made before a
// crash can still be queried and refunded after it. Save is called with
// the simulator's lock held, after each change and before the answer
// that reports it; Entries once, by New.
type Journal interface {
	SaveSandboxEntry(ctx context.Context, key string, body []byte) error
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

// persist writes t to the journal, if there is one. The caller holds mu.
// A failed write is logged: the sandbox goes on with the ledger in memory.
func (s *Simulator) persist(t *txn) {
	if s.journal == nil {
		return
	}
	e := entry{Transaction: t.Transaction, Cents: t.cents, RefundedC: t.refunded, Nonce: t.nonce,
		HostType: t.hostType, DataUsed: t.dataUsed, QRURL: t.qrURL, CompletedAt: t.completedAt,
		SettleAt: t.settleAt, SettleTo: t.settleTo}
	for k := range t.refunds {
		e.RefundKeys = append(e.RefundKeys, k)
	}
	b, err := json.Marshal(e)
	if err == nil {
		err = s.journal.SaveSandboxEntry(context.Background(), t.MerchantReference, b)
	}
	if err != nil {
		s.log.Error("latipaysim: journal", "merchant_reference", t.MerchantReference, "err", err)
	}
}

// restore loads the journal's ledger. Entries of a merchant the simulator
// no longer serves are skipped.
func (s *Simulator) restore() error {
	if s.journal == nil {
		return nil
	}
	bodies, err := s.journal.SandboxEntries(context.Background())
	if err != nil {
		return fmt.Errorf("latipaysim: read the journal: %w", err)
	}
	for _, b := range bodies {
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("latipaysim: journal entry: %w", err)
		}
		m := s.merchants[e.UserID]
		if m == nil {
			continue
		}
		t := &txn{Transaction: e.Transaction, merchant: m, cents: e.Cents, refunded: e.RefundedC, nonce: e.Nonce,
			hostType: e.HostType, dataUsed: e.DataUsed, qrURL: e.QRURL, completedAt: e.CompletedAt,
			settleAt: e.SettleAt, settleTo: e.SettleTo,
			changed: make(chan struct{}), refunds: map[string]bool{}}
		for _, k := range e.RefundKeys {
			t.refunds[k] = true
		}
		s.st.add(t)
	}
	return nil
}
