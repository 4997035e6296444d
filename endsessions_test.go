package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/postgres"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// sessionStore is what the end-sessions tests read and write directly.
type sessionStore interface {
	accounts.Store
	counter.Store
	Close() error
}

// sealKey is the two-step keys' session key in these tests.
var sealKey = []byte("0123456789abcdef0123456789abcdef")

// newSealedService is the accounts service over st, reading two-step keys.
func newSealedService(t *testing.T, st accounts.Store) *accounts.Service {
	t.Helper()
	acc, err := accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.SetSealKey(sealKey); err != nil {
		t.Fatal(err)
	}
	return acc
}

// halfSignedIn is a sign-in of st's two-step owner stopped after the
// password: its challenge, and a recovery code that would finish it;
// with it, the hashes of the trusted devices (device cookies) the owner's
// and the cashier's browsers were given at their sign-in.
type halfSignedIn struct {
	challenge, recovery string
	devices             []string
}

// seedSessions gives st an owner and a cashier, each signed in, a
// counter device the cashier is unlocked on, a trusted device (the
// sign-in device cookie) for each of their browsers, a second owner with
// two-step sign-in whose sign-in waits for its code, and an invitation;
// it returns the cashier's session id, the device's id, the waiting
// sign-in and the invitation's token.
func seedSessions(t *testing.T, st sessionStore) (acc *accounts.Service, cashierSID, deviceID string, half halfSignedIn, invite string) {
	t.Helper()
	ctx := t.Context()
	acc = newSealedService(t, st)
	two, err := acc.CreateAccount(ctx, "two-step@shop.example", "", "correct horse battery staple", accounts.Owner, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	en, err := acc.BeginTOTP(ctx, two.ID, "Kiwi Shop")
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(en.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := acc.ConfirmTOTP(ctx, two.ID, code, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	_, half.challenge, err = acc.SignIn(ctx, "two-step@shop.example", "correct horse battery staple", accounts.Actor{})
	if !errors.Is(err, accounts.ErrCodeRequired) {
		t.Fatalf("the two-step owner's password = %v, want ErrCodeRequired", err)
	}
	half.recovery = rec[0]
	if _, invite, err = acc.Invite(ctx, "new@shop.example", "", accounts.Cashier, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	var cashier accounts.Account
	for _, a := range []struct {
		email string
		role  accounts.Role
	}{{"owner@shop.example", accounts.Owner}, {"till@shop.example", accounts.Cashier}} {
		x, err := acc.CreateAccount(ctx, a.email, "", "correct horse battery staple", a.role, accounts.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		_, sid, err := acc.SignIn(ctx, a.email, "correct horse battery staple", accounts.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if a.role == accounts.Cashier {
			cashier, cashierSID = x, sid
		}
		tok, err := acc.TrustDevice(ctx, sid, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(tok))
		half.devices = append(half.devices, hex.EncodeToString(sum[:]))
		if _, err := st.TrustedDevice(ctx, half.devices[len(half.devices)-1]); err != nil {
			t.Fatalf("the device %s's browser was given: %v", a.email, err)
		}
	}
	now := time.Now().UTC()
	d := counter.Device{ID: "dev_ENDSESSIONS0000000000000000", Name: "Front till", TokenHash: strings.Repeat("ab", 32),
		CreatedAt: now, SeenAt: now, CashierID: cashier.ID, UnlockedAt: now, ResultSeconds: 5}
	if err := st.CreateDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	return acc, cashierSID, d.ID, half, invite
}

// checkEnded fails t unless st has no session left, the sign-in that
// waited for its two-step code cannot finish, the device is locked (and
// still paired), no browser is trusted any more, the invitation still
// works, and the audit log says what the command did (voided: the
// trusted devices it found).
func checkEnded(t *testing.T, st sessionStore, acc *accounts.Service, cashierSID, deviceID string, half halfSignedIn, invite string, voided int) {
	t.Helper()
	ctx := t.Context()
	for _, h := range half.devices {
		if d, err := st.TrustedDevice(ctx, h); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("a browser's trusted device after end-sessions = %+v, %v; want it voided", d, err)
		}
	}
	if _, _, err := acc.Authenticate(ctx, cashierSID); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Errorf("the cashier's session after end-sessions = %v, want ended", err)
	}
	if _, sid, err := acc.SignInCode(ctx, half.challenge, half.recovery, accounts.Actor{}); !errors.Is(err, accounts.ErrTokenExpired) || sid != "" {
		t.Errorf("finishing a sign-in whose password came before end-sessions = %v (session %t), want ErrTokenExpired and no session", err, sid != "")
	}
	if a, err := acc.Invitation(ctx, invite); err != nil || a.Email != "new@shop.example" {
		t.Errorf("the invitation after end-sessions = %+v, %v; want it still valid (the output says so)", a, err)
	}
	if ss, err := st.Sessions(ctx, ""); err != nil || len(ss) != 0 {
		t.Errorf("sessions left after end-sessions: %d, %v", len(ss), err)
	}
	if d, err := st.Device(ctx, deviceID); err != nil || d.CashierID != "" || d.Revoked() {
		t.Errorf("the device after end-sessions = %+v, %v; want locked and still paired", d, err)
	}
	es, err := st.Audit(ctx, accounts.AuditFilter{Action: "session.end_all", Limit: 5})
	if err != nil || len(es) != 1 || es[0].Email != "(hpp admin end-sessions)" || es[0].After != fmt.Sprintf("2 sessions ended, 1 two-step sign-ins ended, 1 counters locked, %d trusted devices voided", voided) {
		t.Errorf("audit of end-sessions = %+v, %v", es, err)
	}
}

// TestAdminEndSessionsAfterRestore: a removed cashier's session comes
// back with a backup taken before the removal, but not the trusted
// devices (device cookies), which `hpp restore` voids; `hpp admin
// end-sessions` (SQLite, server stopped: refused while the database is
// held) ends the session, every other session, and the cashier's turn
// on the counter.
func TestAdminEndSessionsAfterRestore(t *testing.T) {
	dir := t.TempDir()
	db, backup := filepath.Join(dir, "hpp.db"), filepath.Join(dir, "backup.db")
	env := map[string]string{"HPP_DATABASE": db}
	open := func() *sqlite.DB {
		t.Helper()
		st, err := sqlite.Open(t.Context(), db, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	acc, sid, dev, half, invite := seedSessions(t, st)
	st.Close()
	if out, errOut, status := hppEnv(t, env, "backup", backup); status != 0 {
		t.Fatalf("hpp backup = %d: %s %s", status, out, errOut)
	}
	st = open()
	acc, _ = accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
	cashier, err := st.AccountByEmail(t.Context(), "till@shop.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.RemoveAccount(t.Context(), cashier.ID, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if out, errOut, status := hppEnv(t, env, "restore", backup); status != 0 || !strings.Contains(out, "run hpp admin end-sessions") ||
		!strings.Contains(out, "voided every trusted device") {
		t.Fatalf("hpp restore = %d: %q %q; want it to say to end the sessions, and that it voided the trusted devices", status, out, errOut)
	}
	st = open()
	acc, _ = accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
	if _, _, err := acc.Authenticate(t.Context(), sid); err != nil {
		t.Fatalf("the removed cashier's session after the restore = %v; the test expects the backup to bring it back", err)
	}
	// The restore itself voided the trusted devices the backup held, the
	// removed cashier's among them (voided by the removal, after the
	// backup was taken).
	for _, h := range half.devices {
		if d, err := st.TrustedDevice(t.Context(), h); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("a trusted device the backup held, after the restore = %+v, %v; want it voided", d, err)
		}
	}
	// While something holds the database (a server), the command refuses
	// and changes nothing.
	if _, errOut, status := hppEnv(t, env, "admin", "end-sessions"); status == 0 {
		t.Errorf("end-sessions while the database is held = 0, want refused (%s)", errOut)
	}
	st.Close()
	out, errOut, status := hppEnv(t, env, "admin", "end-sessions")
	// The restore voided the devices already: none is left to void.
	if status != 0 || !strings.Contains(out, "ended 2 back-office sessions and 1 sign-in waiting for its two-step code, locked 1 counter device and voided 0 trusted devices (sign-in device cookies);") {
		t.Errorf("hpp admin end-sessions = %d, %q, %q", status, out, errOut)
	}
	checkSaysWhatStays(t, out)
	st = open()
	defer st.Close()
	checkEnded(t, st, newSealedService(t, st), sid, dev, half, invite, 0)
	if _, errOut, status := hppEnv(t, env, "admin", "end-sessions", "extra"); status != 2 || !strings.Contains(errOut, "wrong number of arguments") {
		t.Errorf("end-sessions with an argument = %d, %q; want a usage error", status, errOut)
	}
}

// TestAdminEndSessionsPostgres: on PostgreSQL the command runs while
// the app holds the database.
func TestAdminEndSessionsPostgres(t *testing.T) {
	url := pgtest.Schema(t)
	st, err := postgres.Open(context.Background(), url, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acc, sid, dev, half, invite := seedSessions(t, st)
	out, errOut, status := hppEnv(t, map[string]string{"HPP_DATABASE": url}, "admin", "end-sessions")
	if status != 0 || !strings.Contains(out, "ended 2 back-office sessions and 1 sign-in waiting for its two-step code, locked 1 counter device and voided 2 trusted devices (sign-in device cookies); everyone signs in again (cashiers enter their PIN), and every browser is a stranger until it has.") {
		t.Errorf("hpp admin end-sessions = %d, %q, %q", status, out, errOut)
	}
	checkSaysWhatStays(t, out)
	checkEnded(t, st, acc, sid, dev, half, invite, 2)
}

// TestAdminRefusesMissingDatabase: hpp admin on a SQLite path with no
// database (a mistyped HPP_DATABASE, or a file naming one) stops with
// status 1 and a message naming the setting, and creates nothing: it
// created an empty database and said "ended 0 back-office sessions",
// which read as done.
func TestAdminRefusesMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "hpp.db")
	named := filepath.Join(t.TempDir(), "database")
	if err := os.WriteFile(named, []byte(missing), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []map[string]string{{"HPP_DATABASE": missing}, {"HPP_DATABASE": "", "HPP_DATABASE_FILE": named}} {
		setting := "HPP_DATABASE"
		if env["HPP_DATABASE_FILE"] != "" {
			setting = "HPP_DATABASE_FILE"
		}
		for _, args := range [][]string{{"admin", "end-sessions"}, {"admin", "reset-password", "owner@shop.example"}} {
			out, errOut, status := hppEnv(t, env, args...)
			if status != 1 || !strings.Contains(errOut, setting+` \"`+missing) || !strings.Contains(errOut, "no such database") || strings.Contains(out, "ended") {
				t.Errorf("hpp %s with %s naming no database = %d, %q, %q; want status 1 naming %s and the path", strings.Join(args, " "), setting, status, out, errOut, setting)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Fatalf("hpp %s with %s naming no database created %v", strings.Join(args, " "), setting, files)
			}
		}
	}
}

// checkSaysWhatStays fails t unless the command's output says what it
// left: paired devices and displays, and invitation links, and where to
// end them.
func checkSaysWhatStays(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{"not ended: paired counter devices and shopper displays stay paired", "Revoke",
		"not ended: invitation and reset-of-access links stay valid"} {
		if !strings.Contains(out, want) {
			t.Errorf("end-sessions output %q does not say %q", out, want)
		}
	}
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if !strings.HasSuffix(line, ".") {
			t.Errorf("end-sessions output line %q does not end a sentence", line)
		}
	}
}
