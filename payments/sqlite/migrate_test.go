package sqlite

import (
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// migratedTo makes a database at path with the named migrations applied,
// in the order given, as a program of that version would have left it.
func migratedTo(t *testing.T, path string, names ...string) *sql.DB {
	t.Helper()
	old, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,
		name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, name := range names { // a slice: in order
		body, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := old.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, i+1, name); err != nil {
			t.Fatal(err)
		}
	}
	return old
}

// TestMigrateNotificationsKey: a database made by migrations 001 and 002,
// with notifications in it, is rebuilt by 003 with every row, id and
// order kept; a repeat of a recorded notification is still ignored; the
// unique index on digest alone is gone; the file stays consistent.
func TestMigrateNotificationsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	old := migratedTo(t, path, "001_init.sql", "002_webhooks.sql")
	rows := []payments.Notification{
		{Reference: "REF1", Digest: "d2", Status: "paid", Body: "b1", Result: "orphan", At: testNow()},
		{Reference: "REF2", Digest: "d1", Status: "pending", Body: "b2", Result: "orphan", At: testNow()},
		{Reference: "REF1", Digest: "d1x", Status: "failed", Body: "b3", Result: "orphan", At: testNow()},
	}
	for i, n := range rows {
		if _, err := old.Exec(`INSERT INTO notifications (id, reference, digest, status, body, result, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, 10+i, n.Reference, n.Digest, n.Status, n.Body, n.Result, nanos(n.At)); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db := mustOpen(t, path) // applies 003
	got, err := db.Notifications(t.Context(), "REF1")
	if err != nil || len(got) != 2 || got[0].Digest != "d2" || got[1].Digest != "d1x" || got[1].Body != "b3" {
		t.Fatalf("REF1 after the migration: %+v, %v; want d2 then d1x, as recorded", got, err)
	}
	var ids string
	if err := db.writer.QueryRow(`SELECT group_concat(id) FROM (SELECT id FROM notifications ORDER BY id)`).Scan(&ids); err != nil || ids != "10,11,12" {
		t.Fatalf("ids after the migration: %q, %v; want 10,11,12", ids, err)
	}
	// A repeat is ignored, a new digest for the same reference is kept.
	for _, n := range []payments.Notification{rows[0], {Reference: "REF1", Digest: "d3", At: testNow()}} {
		if err := db.RecordOrphan(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := db.Notifications(t.Context(), "REF1"); len(got) != 3 || got[2].Digest != "d3" {
		t.Fatalf("REF1 after a repeat and a new one: %+v; want d2, d1x, d3", got)
	}
	var idx []string
	r, err := db.writer.Query(`SELECT name FROM pragma_index_list('notifications') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var name string
		r.Scan(&name)
		idx = append(idx, name)
	}
	r.Close()
	// notifications_orphans (039) is partial: only orphans, rare, are
	// written to it; a callback of a known payment still costs one index.
	if strings.Join(idx, " ") != "notifications_orphans notifications_reference_digest" {
		t.Errorf("indexes on notifications: %v; want notifications_reference_digest and the orphans' partial one", idx)
	}
	var check string
	if err := db.writer.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q, %v", check, err)
	}
	var fk int
	if err := db.writer.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil || fk != 0 {
		t.Errorf("foreign_key_check: %d rows, %v", fk, err)
	}
}

// TestMigrateLastSeq: migration 004 gives every payment of a version-3
// database the number of its last event, and later writes number their
// events on from there.
func TestMigrateLastSeq(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	old := migratedTo(t, path, "001_init.sql", "002_webhooks.sql", "003_notifications_key.sql")
	want := map[string]int64{}
	for n, events := range []int{3, 1, 0} {
		p := benchPayment(n)
		args := paymentArgs(p)
		if _, err := old.Exec(`INSERT INTO payments (`+paymentCols+`) VALUES (`+strings.Repeat("?, ", len(args)-1)+`?)`, args...); err != nil {
			t.Fatal(err)
		}
		for seq := 1; seq <= events; seq++ {
			if _, err := old.Exec(`INSERT INTO events (payment_id, seq, type) VALUES (?, ?, 'payment.note')`, p.ID, seq); err != nil {
				t.Fatal(err)
			}
		}
		want[p.ID] = int64(events)
	}
	old.Close()

	db := mustOpen(t, path) // applies 004
	for n := range 3 {
		id := benchPayment(n).ID
		var got int64
		if err := db.writer.QueryRow(`SELECT last_seq FROM payments WHERE id = ?`, id).Scan(&got); err != nil || got != want[id] {
			t.Errorf("payment %d: last_seq %d, %v; want %d", n, got, err, want[id])
		}
		if _, err := db.Update(t.Context(), id, func(tx *payments.Tx) error {
			tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: testNow()})
			tx.AddEvent(payments.Event{Type: "payment.note", CreatedAt: testNow()})
			return nil
		}); err != nil {
			t.Fatalf("payment %d: update after the migration: %v", n, err)
		}
		es, err := db.Events(t.Context(), id)
		if err != nil || int64(len(es)) != want[id]+2 {
			t.Fatalf("payment %d: %d events, %v; want %d", n, len(es), err, want[id]+2)
		}
		for i, e := range es {
			if e.Seq != int64(i+1) {
				t.Errorf("payment %d: event %d has seq %d", n, i, e.Seq)
			}
		}
	}
}

// TestMigrateRefunds: migration 005 carries the refunds of the event log
// into the refunds table with their outcome (a pending one due for the
// reconciler at once), and forgets the order ids of hosted attempts,
// which came from callbacks, keeping those from merchant-hosted QR data.
func TestMigrateRefunds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	old := migratedTo(t, path, "001_init.sql", "002_webhooks.sql", "003_notifications_key.sql", "004_last_seq.sql")
	hosted, qr := benchPayment(0), benchPayment(1)
	hosted.Status, hosted.LatipayReference, hosted.LatipayOrderID = payments.StatusPartiallyRefunded, "HOSTEDREF", "FORGED-BY-CALLBACK"
	qr.Status, qr.LatipayReference, qr.LatipayOrderID = payments.StatusPaid, "QRREF", "FROM-QR-DATA"
	for _, p := range []payments.Payment{hosted, qr} {
		args := paymentArgs(p)
		if _, err := old.Exec(`INSERT INTO payments (`+paymentCols+`) VALUES (`+strings.Repeat("?, ", len(args)-1)+`?)`, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []payments.Attempt{
		{Reference: "HOSTEDREF", PaymentID: hosted.ID, Hosted: true, Status: payments.AttemptPaid, OrderID: "FORGED-BY-CALLBACK", CreatedAt: testNow()},
		{Reference: "QRREF", PaymentID: qr.ID, Status: payments.AttemptPaid, OrderID: "FROM-QR-DATA", CreatedAt: testNow()},
	} {
		// The columns of schema version 4 (client came with 006, kind
		// and pay_code_hash with 014).
		cols := strings.TrimSuffix(attemptCols, ", client, kind, pay_code_hash")
		if _, err := old.Exec(`INSERT INTO attempts (`+cols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, attemptArgs(a)[:12]...); err != nil {
			t.Fatal(err)
		}
	}
	at := testNow().UnixNano()
	for seq, e := range []struct{ typ, data string }{
		{"refund.requested", `{"id":"rf_a","amount":100,"reason":"cold","key":"k1","hash":"h1"}`},
		{"refund.succeeded", `{"id":"rf_a","amount":100}`},
		{"refund.requested", `{"id":"rf_b","amount":200}`},
		{"refund.failed", `{"id":"rf_b","amount":200,"code":556}`},
		{"refund.requested", `{"id":"rf_c","amount":300}`},
	} {
		if _, err := old.Exec(`INSERT INTO events (payment_id, seq, type, created_at, data) VALUES (?, ?, ?, ?, ?)`,
			hosted.ID, seq+1, e.typ, at, e.data); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db := mustOpen(t, path) // applies 005
	var got []payments.Refund
	if _, err := db.Update(t.Context(), hosted.ID, func(tx *payments.Tx) error { got = tx.Refunds; return nil }); err != nil {
		t.Fatal(err)
	}
	want := map[string]payments.Refund{
		"rf_a": {Amount: 100, Status: payments.RefundSucceeded, Reason: "cold", KeyHash: "k1", RequestHash: "h1"},
		"rf_b": {Amount: 200, Status: payments.RefundFailed, GatewayCode: 556},
		"rf_c": {Amount: 300, Status: payments.RefundPending},
	}
	if len(got) != len(want) {
		t.Fatalf("refunds after 005 = %+v, want %d", got, len(want))
	}
	for _, r := range got {
		w := want[r.ID]
		if r.Amount != w.Amount || r.Status != w.Status || r.Reason != w.Reason || r.KeyHash != w.KeyHash ||
			r.RequestHash != w.RequestHash || r.GatewayCode != w.GatewayCode || r.Currency != hosted.Currency {
			t.Errorf("refund %s = %+v, want %+v", r.ID, r, w)
		}
		if (r.Status == payments.RefundPending) != !r.NextCheckAt.IsZero() {
			t.Errorf("refund %s %s: next check %v", r.ID, r.Status, r.NextCheckAt)
		}
	}
	if due, err := db.ClaimDueRefunds(t.Context(), testNow(), time.Minute, 10); err != nil || len(due) != 1 || due[0].ID != "rf_c" {
		t.Errorf("ClaimDueRefunds = %+v, %v; want rf_c", due, err)
	}
	for id, want := range map[string]string{hosted.ID: "", qr.ID: "FROM-QR-DATA"} {
		p, err := db.Payment(t.Context(), id)
		if err != nil || p.LatipayOrderID != want {
			t.Errorf("payment %s order id %q, %v; want %q", id, p.LatipayOrderID, err, want)
		}
	}
	for ref, want := range map[string]string{"HOSTEDREF": "", "QRREF": "FROM-QR-DATA"} {
		a, err := db.Attempt(t.Context(), ref)
		if err != nil || a.OrderID != want {
			t.Errorf("attempt %s order id %q, %v; want %q", ref, a.OrderID, err, want)
		}
	}
}

// TestMigrateLinkUses: a database made by migrations 001 to 020 holds a
// 3-use link that counted every checkout: one whose payment expired, one
// paid, one still open, and one whose payment was never made, two days
// ago. 021 ties each use to its payment, gives back the places of the
// expired payment and of the one never made, and counts the paid one: the
// link has a place free again, and the open payment's expiry gives its
// place back too.
func TestMigrateLinkUses(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hpp.db")
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var before []string
	for _, n := range names {
		if n = path.Base(n); n < "021" {
			before = append(before, n)
		}
	}
	old := migratedTo(t, file, before...)
	const link = "0000000000000000000000link"
	now := testNow().UnixNano()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := old.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`DELETE FROM schema_migrations`) // migratedTo numbers them in turn; the files skip some
	for _, n := range before {
		v, err := strconv.Atoi(n[:3])
		if err != nil {
			t.Fatal(err)
		}
		exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, v, n)
	}
	exec(`INSERT INTO payment_links (id, source, amount, min_amount, max_amount, currency, desc_en, desc_zh_hans,
		desc_zh_hant, expires_at, max_uses, uses, active, created_at, updated_at)
		VALUES (?, 'link', 1250, 0, 0, 'NZD', 'Deposit', '', '', NULL, 3, 4, 1, ?, ?)`, link, now, now)
	for i, st := range []payments.Status{payments.StatusExpired, payments.StatusPaid, payments.StatusPending, ""} {
		key := fmt.Sprintf("key%d:1250", i)
		at := now
		if st == "" { // never made: counted two days ago
			exec(`INSERT INTO payment_link_uses (link_id, key, at) VALUES (?, ?, ?)`, link, key, testNow().Add(-48*time.Hour).UnixNano())
			continue
		}
		p := benchPayment(i)
		p.Status, p.Source = st, payments.SourceLink
		args := paymentArgs(p)
		exec(`INSERT INTO payments (`+paymentCols+`) VALUES (`+strings.Repeat("?, ", len(args)-1)+`?)`, args...)
		exec(`INSERT INTO idempotency (key, hash, payment_id, created_at) VALUES (?, 'h', ?, ?)`, "link:"+link+":"+key, p.ID, at)
		exec(`INSERT INTO payment_link_uses (link_id, key, at) VALUES (?, ?, ?)`, link, key, at)
	}
	old.Close()

	db := mustOpen(t, file) // applies 021
	ctx := t.Context()
	l, err := db.Link(ctx, link)
	if err != nil || l.Uses != 2 || l.Paid != 1 {
		t.Fatalf("link after 021: uses %d, paid %d, %v; want 2 (paid and open), 1", l.Uses, l.Paid, err)
	}
	if _, used, _, err := db.UseLink(ctx, link, "new:1250", testNow()); err != nil || !used {
		t.Errorf("a new shopper after 021: used %v, %v; want the free place", used, err)
	}
	if _, err := db.Update(ctx, benchPayment(2).ID, func(tx *payments.Tx) error {
		tx.Payment.Status = payments.StatusExpired
		tx.SetLinkUse(payments.LinkUseRelease)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if l, err := db.Link(ctx, link); err != nil || l.Uses != 2 || l.Paid != 1 {
		t.Errorf("link after the open payment expired: uses %d, paid %d, %v; want 2, 1", l.Uses, l.Paid, err)
	}
}

// TestMigrateRefundWebhooks: refund outcomes recorded before refund
// webhooks existed are not sent on upgrade (022 marks them skipped), the
// payment's other undelivered events still are, and a refund outcome
// recorded after the upgrade is sent.
func TestMigrateRefundWebhooks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	p, _, err := db.CreatePayment(t.Context(), benchPayment(1), payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	addEvents := func(types ...string) {
		t.Helper()
		if _, err := db.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
			for _, typ := range types {
				tx.AddEvent(payments.Event{Type: typ, From: payments.StatusPaid, To: payments.StatusPaid, CreatedAt: testNow()})
			}
			tx.Payment.Version++ // something changed: the write happens
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	addEvents("refund.failed", "payment.paid", "refund.succeeded")
	// As a database of the version before 022 was: 022 not yet applied.
	if _, err := db.writer.Exec(`DELETE FROM schema_migrations WHERE name = '022_refund_webhooks.sql'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = mustOpen(t, path)
	addEvents("refund.failed")
	q := payments.OutboxQuery{Types: []string{"payment.paid", "refund.succeeded", "refund.failed"},
		Since: testNow().Add(-time.Hour), Now: testNow(), Lease: time.Minute, Limit: 10}
	var got []string
	for range 4 {
		evs, err := db.ClaimWebhookEvents(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			got = append(got, e.Type)
			if err := db.RecordDelivery(t.Context(), payments.Delivery{ID: "whd_" + e.Type + strings.Repeat("x", int(e.Seq)),
				PaymentID: e.PaymentID, Seq: e.Seq, EventType: e.Type, Attempt: 1, At: testNow(),
				State: payments.DeliveryDelivered}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want := []string{"payment.paid", "refund.failed"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sent after the upgrade: %v; want %v (the refund outcomes from before it skipped)", got, want)
	}
}

// TestMigrateReviewedWebhooks: payment.reviewed events recorded before
// they were sent to the merchant's webhook are not sent on upgrade (038
// marks them skipped), the payment's other undelivered events still are,
// and one recorded after the upgrade is sent.
func TestMigrateReviewedWebhooks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	p, _, err := db.CreatePayment(t.Context(), benchPayment(1), payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	addEvents := func(types ...string) {
		t.Helper()
		if _, err := db.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
			for _, typ := range types {
				tx.AddEvent(payments.Event{Type: typ, From: payments.StatusPaid, To: payments.StatusPaid, CreatedAt: testNow()})
			}
			tx.Payment.Version++ // something changed: the write happens
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	addEvents("payment.paid", "payment.reviewed")
	// As a database of the version before 038 was: 038 not yet applied.
	if _, err := db.writer.Exec(`DELETE FROM schema_migrations WHERE name = '038_reviewed_webhooks.sql'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = mustOpen(t, path)
	addEvents("payment.reviewed")
	q := payments.OutboxQuery{Types: []string{"payment.paid", "payment.reviewed"},
		Since: testNow().Add(-time.Hour), Now: testNow(), Lease: time.Minute, Limit: 10}
	var got []string
	for range 4 {
		evs, err := db.ClaimWebhookEvents(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			got = append(got, fmt.Sprintf("%s#%d", e.Type, e.Seq))
			if err := db.RecordDelivery(t.Context(), payments.Delivery{ID: "whd_" + strings.Repeat("x", int(e.Seq)),
				PaymentID: e.PaymentID, Seq: e.Seq, EventType: e.Type, Attempt: 1, At: testNow(),
				State: payments.DeliveryDelivered}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want := []string{"payment.paid#2", "payment.reviewed#4"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sent after the upgrade: %v; want %v (the review from before it skipped)", got, want)
	}
}

// TestMigrateWebhookEndpoint: 040 on a database that has delivered
// webhooks keeps sending its events as before (no time limit besides the
// retry window); on one that never had an endpoint, the first worker
// with one records its time, and its answer stays.
func TestMigrateWebhookEndpoint(t *testing.T) {
	for _, delivered := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "hpp.db")
		db := mustOpen(t, path)
		p, _, err := db.CreatePayment(t.Context(), benchPayment(1), payments.Event{Type: "payment.created", CreatedAt: testNow()}, payments.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		if delivered {
			if err := db.RecordDelivery(t.Context(), payments.Delivery{ID: "whd_1", PaymentID: p.ID, Seq: 1, EventType: "payment.created",
				Attempt: 1, At: testNow(), State: payments.DeliveryDelivered}); err != nil {
				t.Fatal(err)
			}
		}
		// As a database of the version before 040 was.
		if _, err := db.writer.Exec(`DROP TABLE webhook_endpoint;
			DELETE FROM schema_migrations WHERE name = '040_webhook_endpoint.sql'`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = mustOpen(t, path)
		now := testNow().Add(time.Hour)
		got, err := db.WebhookEndpointSince(t.Context(), payments.OutboxQuery{Now: now})
		want := now
		if delivered {
			want = time.Time{}
		}
		if err != nil || !got.Equal(want) {
			t.Errorf("delivered before 040 %v: WebhookEndpointSince = %v, %v; want %v", delivered, got, err, want)
		}
		if again, err := db.WebhookEndpointSince(t.Context(), payments.OutboxQuery{Now: now.Add(time.Hour)}); err != nil || !again.Equal(want) {
			t.Errorf("delivered before 040 %v: asked again = %v, %v; want %v", delivered, again, err, want)
		}
		db.Close()
	}
}

// TestMigrateBookkeeperRole: a database made by migrations before 050
// holds an owner with a session, a one-time link, a counter PIN and a
// trusted device. 050 rebuilds accounts to allow the bookkeeper role and
// keeps the owner with every row that references it; foreign keys are
// on again after it (removing the owner takes its rows along).
func TestMigrateBookkeeperRole(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hpp.db")
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var before []string
	for _, n := range names {
		if n = path.Base(n); n < "050" {
			before = append(before, n)
		}
	}
	old := migratedTo(t, file, before...)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := old.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`DELETE FROM schema_migrations`) // migratedTo numbers them in turn; the files skip some
	for _, n := range before {
		v, err := strconv.Atoi(n[:3])
		if err != nil {
			t.Fatal(err)
		}
		exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, v, n)
	}
	const id = "acc_00000000000000000000000001"
	now := testNow().UnixNano()
	exec(`INSERT INTO accounts (id, email, name, role, password_hash, totp_secret, totp_last_step, recovery,
		failed_signins, locked_until, created_at, updated_at, totp_pending, access_changed_at, devices_voided_at)
		VALUES (?, 'owner@shop.example', 'Owner', 'owner', 'h', 's', 7, 'r1 r2', 1, NULL, ?, ?, 'p', ?, ?)`, id, now, now, now, now)
	if _, err := old.Exec(`INSERT INTO accounts (id, email, name, role, password_hash, totp_secret, totp_last_step,
		recovery, failed_signins, created_at, updated_at) VALUES ('acc_x', 'b@shop.example', '', 'bookkeeper', 'h', '', 0, '', 0, 0, 0)`); err == nil {
		t.Fatal("a bookkeeper before 050 was accepted; want the old CHECK to refuse it")
	}
	exec(`INSERT INTO admin_sessions (id_hash, account_id, address, device, created_at, seen_at) VALUES ('s1', ?, '', '', ?, ?)`, id, now, now)
	exec(`INSERT INTO account_tokens (hash, account_id, purpose, expires_at) VALUES ('t1', ?, 'invite', ?)`, id, now)
	exec(`INSERT INTO counter_pins (account_id, hash, failures, locked, updated_at) VALUES (?, 'h', 0, 0, ?)`, id, now)
	exec(`INSERT INTO trusted_devices (hash, account_id, created_at, seen_at) VALUES ('d1', ?, ?, ?)`, id, now, now)
	old.Close()

	db := mustOpen(t, file) // applies 050
	ctx := t.Context()
	a, err := db.Account(ctx, id)
	if err != nil || a.Email != "owner@shop.example" || a.Role != accounts.Owner || a.TOTPLastStep != 7 || a.TOTPPending != "p" ||
		len(a.Recovery) != 2 || a.AccessChangedAt.IsZero() || a.DevicesVoidedAt.IsZero() {
		t.Fatalf("owner after 050: %+v, %v; want it as it was", a, err)
	}
	count := func(table string) int {
		t.Helper()
		var n int
		if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE account_id = ?`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	refs := []string{"admin_sessions", "account_tokens", "counter_pins", "trusted_devices"}
	for _, table := range refs {
		if n := count(table); n != 1 {
			t.Errorf("%s rows of the owner after 050: %d, want 1 (kept)", table, n)
		}
	}
	b := accounts.Account{ID: "acc_00000000000000000000000002", Email: "books@shop.example", Role: accounts.Bookkeeper,
		CreatedAt: testNow(), UpdatedAt: testNow()}
	if err := db.CreateAccount(ctx, b); err != nil {
		t.Fatalf("a bookkeeper after 050: %v", err)
	}
	if got, err := db.Account(ctx, b.ID); err != nil || got.Role != accounts.Bookkeeper {
		t.Fatalf("bookkeeper read back: %+v, %v", got, err)
	}
	if _, err := db.writer.ExecContext(ctx, `UPDATE accounts SET role = 'boss' WHERE id = ?`, b.ID); err == nil {
		t.Error("role 'boss' accepted after 050; want the CHECK to refuse it")
	}
	if err := db.DeleteAccount(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, table := range refs {
		if n := count(table); n != 0 {
			t.Errorf("%s rows of the removed owner: %d, want 0 (foreign keys on again)", table, n)
		}
	}
}
