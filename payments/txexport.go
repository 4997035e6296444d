package payments

// The exported mutators below let code outside this package (the store
// contract suite in payments/storetest, and fakes) record changes in a Tx
// exactly as the service does. The service itself uses the unexported
// helpers; these only forward to them, so a Tx cannot be changed in a way
// the service could not change it.

// PutAttempt inserts a (or replaces the attempt with the same Reference)
// and marks it for writing.
func (t *Tx) PutAttempt(a Attempt) { t.putAttempt(a) }

// AddEvent appends e to the payment's log; PaymentID is set to the Tx's
// payment and Seq is assigned by the store.
func (t *Tx) AddEvent(e Event) { t.event(e) }

// AddNotification records n. The store ignores a notification whose Digest
// it already holds.
func (t *Tx) AddNotification(n Notification) { t.note(n) }

// Touch marks the Tx changed, so the store writes tx.Payment (with Version
// bumped) even when nothing else was recorded.
func (t *Tx) Touch() { t.touch() }

// PutRefund inserts r (or replaces the refund with the same ID) and marks
// it for writing.
func (t *Tx) PutRefund(r Refund) { t.putRefund(r) }

// SetLinkUse records what the store must do to the stored link's use the
// payment holds (Tx.LinkUse), and marks the Tx changed.
func (t *Tx) SetLinkUse(c LinkUseChange) {
	t.linkUse = c
	t.touch()
}
