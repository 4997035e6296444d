package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/latipay-hpp/hpp/config"
	"github.com/latipay-hpp/hpp/handlers/selfcheck"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/storage"
)

// healthcheck is `hpp healthcheck`: the container's HEALTHCHECK asks the
// server at HPP_ADDR (loopback when its host is unspecified), over TLS
// when it speaks TLS. It judges what the server serves, not the
// configuration (config.Served): certificate files that start-up would
// refuse, while the server keeps serving the good certificate it loaded
// before they changed, must not fail it, or the orchestrator would
// restart a working server into a start-up that refuses them. An expired
// certificate served fails it (selfcheck.HealthCheck).
func healthcheck(ctx context.Context, e Env, _ []string) error {
	addr, overTLS := config.Served(e.Getenv)
	return selfcheck.HealthCheck(ctx, addr, overTLS)
}

// selfcheckCommand is `hpp selfcheck URL [baseline.json]`.
func selfcheckCommand(ctx context.Context, e Env, args []string) error {
	return selfcheck.Command(ctx, args, e.Stdout)
}

// simulator is `hpp simulator`: the Latipay simulator on its own.
func simulator(ctx context.Context, e Env, _ []string) error {
	return latipaysim.RunFromEnv(ctx, e.Getenv, e.Stdout, e.Stderr)
}

// checkConfig is `hpp check-config`; it also connects to the database
// and reads it (without changing it, nor creating it) as start-up would
// (storage.CheckMode): a SQLite file holding another program's tables,
// damaged, or of a newer schema, a directory that is not there, a
// PostgreSQL schema this release cannot run on; and the other mode's
// data, which start-up refuses: live, the sandbox's; in the sandbox, a
// live shop's.
// A database it cannot reach or read (no server, a wrong password, no
// such database) is a problem, as it is at start-up, named by the setting
// it came from (HPP_DATABASE or HPP_DATABASE_FILE) and never with its
// password.
func checkConfig(ctx context.Context, e Env, _ []string) error {
	return config.Check(e.Getenv, e.Stdout, DatabaseProbe(ctx))
}

// DatabaseProbe is check-config's check of the database; start-up runs it
// too when the configuration has other problems, so that they are all
// reported at once (config.Load).
func DatabaseProbe(ctx context.Context) config.Probe {
	return func(c config.Config) (string, error) {
		// A network's wait on PostgreSQL; on SQLite, reading a file of up
		// to 256 MiB through (sqlite.Inspect), which takes seconds.
		wait := 5 * time.Second
		if !storage.IsPostgres(c.Database) {
			wait = time.Minute
		}
		probe, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		return "", storage.CheckMode(probe, c.Database, c.DatabaseFrom, c.Sandbox) // its errors name the setting
	}
}

// admin is `hpp admin reset-password EMAIL` and `hpp admin
// end-sessions`. On SQLite the server must be stopped (the database is
// locked while it runs), and the file must exist (storage.Existing); on
// PostgreSQL they work at any time.
func admin(ctx context.Context, e Env, args []string) error {
	switch {
	case args[0] == "reset-password" && len(args) == 2, args[0] == "end-sessions" && len(args) == 1:
	case args[0] == "reset-password" || args[0] == "end-sessions":
		return UsageError{fmt.Sprintf("admin %s: wrong number of arguments (hpp admin reset-password EMAIL, hpp admin end-sessions)", args[0])}
	default:
		return UsageError{fmt.Sprintf("admin: unknown action %q (want reset-password or end-sessions)", args[0])}
	}
	cfg, err := config.Load(e.Getenv)
	if err != nil {
		return err
	}
	// Not a new, empty database for a mistyped path: "ended 0 sessions"
	// from it would read as done.
	if err := storage.Existing(cfg.Database, cfg.DatabaseFrom); err != nil {
		return fmt.Errorf("admin %s: %w", args[0], err)
	}
	// Start-up's read-only checks first (those check-config makes), so
	// that a file that is not the server's database (another program's,
	// damaged, of a newer schema) is refused before Open switches it to
	// WAL, migrates it or puts a lock file beside it. Whether the file
	// suits the mode (sandbox or live) is start-up's concern, not this.
	if err := storage.CheckMode(ctx, cfg.Database, cfg.DatabaseFrom, cfg.Sandbox); err != nil &&
		!errors.Is(err, storage.ErrSandboxData) && !errors.Is(err, storage.ErrLiveData) {
		var foreign *storage.ForeignError
		if errors.As(err, &foreign) {
			return fmt.Errorf("admin %s: %s %q (SQLite file) holds another program's tables (%s), not the server's database: point %s at the file the server runs on (its accounts and sessions are there)",
				args[0], cfg.DatabaseFrom, cfg.Database, strings.Join(foreign.Tables, ", "), cfg.DatabaseFrom)
		}
		return fmt.Errorf("admin %s: %w", args[0], err)
	}
	_, lockErr := os.Lstat(cfg.Database + ".lock")
	if errors.Is(lockErr, fs.ErrNotExist) && !storage.IsPostgres(cfg.Database) {
		// Open creates it; the server's own lock file is the server's.
		defer storage.DropLock(cfg.Database)
	}
	h := hub.New()
	defer h.Close()
	st, err := storage.Open(ctx, cfg.Database, cfg.DatabaseFrom, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if errors.Is(err, storage.ErrInUse) {
		return fmt.Errorf("admin %s: stop the server first: %s %q is in use by the running server (one SQLite file serves one process; on PostgreSQL hpp admin works while it runs)", args[0], cfg.DatabaseFrom, cfg.Database)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	acc, err := accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
	if err != nil {
		return err
	}
	if args[0] == "end-sessions" {
		return endSessions(ctx, e, acc, st)
	}
	who := accounts.Actor{Email: "(hpp admin reset-password)"}
	pw, err := acc.ResetPassword(ctx, args[1], who)
	if errors.Is(err, accounts.ErrNotFound) || errors.Is(err, accounts.ErrInvalid) {
		return fmt.Errorf("admin: no account with email %q", args[1])
	}
	if err != nil {
		return err
	}
	// The counter devices the person unlocked lock, each recorded.
	email, _ := accounts.NormalizeEmail(args[1])
	a, err := st.AccountByEmail(ctx, email)
	if err != nil {
		return err
	}
	ds, err := counter.LockShutOut(ctx, st, st, a.ID)
	for _, d := range ds {
		if rerr := acc.Record(ctx, who, "counter.lock", d.ID, "", counter.LockedDetail(d, a.Email, counter.LockedPasswordReset)); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.Stdout, "New password for %s: %s\nIt is unlocked, two-step sign-in is off, and it is signed out everywhere; sign in and change it (Change password, /admin/password).\n", args[1], pw)
	return err
}

// endSessions is `hpp admin end-sessions`: every back-office session
// ends, and every sign-in half done (password accepted, two-step code
// not yet given), and every cashier's turn on a counter device, so
// everyone signs in (or enters their PIN) again. Run it after restoring
// a backup (the backup brings back the sessions it held, among them
// those of people removed, signed out or reset since it was taken) or
// after a suspected break-in. Every trusted device (the browsers whose
// wrong passwords count apart from their account's) is voided too: its
// cookie may be in a stranger's hands, or a restore may have brought
// back one voided since. What is a person's or a browser's is ended;
// what is a counter's or a link's is not, and the output says so and where to end
// it: paired counter devices and shopper displays stay paired (a device
// is not signed in by anyone, and unpairing every till and screen would
// stop the shop until each is paired again by hand), and invitation and
// reset-of-access links stay valid until used or expired.
func endSessions(ctx context.Context, e Env, acc *accounts.Service, st counter.Store) error {
	n, signIns, err := acc.EndAllSessions(ctx)
	if err != nil {
		return err
	}
	locked, err := counter.LockAll(ctx, st)
	if err != nil {
		return err
	}
	devices, err := acc.VoidAllDevices(ctx)
	if err != nil {
		return err
	}
	who := accounts.Actor{Email: "(hpp admin end-sessions)"}
	if err := acc.Record(ctx, who, "session.end_all", "", "", fmt.Sprintf("%d sessions ended, %d two-step sign-ins ended, %d counters locked, %d trusted devices voided", n, signIns, locked, devices)); err != nil {
		return err
	}
	waiting := plural(signIns, "sign-in waiting for its two-step code", "sign-ins waiting for their two-step code")
	_, err = fmt.Fprintf(e.Stdout, "hpp: ended %s and %s, locked %s and voided %s; everyone signs in again (cashiers enter their PIN), and every browser is a stranger until it has.\n%s",
		plural(n, "back-office session", "back-office sessions"), waiting, plural(locked, "counter device", "counter devices"),
		plural(devices, "trusted device (sign-in device cookie)", "trusted devices (sign-in device cookies)"), endSessionsLeft)
	return err
}

// plural is n and the words that go with it: one for 1, many otherwise
// ("0 counter devices", "1 counter device").
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// endSessionsLeft is what end-sessions does not end, and how to.
const endSessionsLeft = `hpp: not ended: paired counter devices and shopper displays stay paired: revoke a device in the back office (Counter, Revoke; its displays go with it).
hpp: not ended: invitation and reset-of-access links stay valid until used or 24 hours old: the back office's Accounts page lists their accounts as invited (Remove the account, or Reset access again, to void its link).
`

// backup is `hpp backup FILE`: a consistent copy of the SQLite database,
// taken while the server runs.
func backup(ctx context.Context, e Env, args []string) error {
	if strings.TrimSpace(args[0]) == "" {
		return UsageError{"backup: the file name is empty: give the file to write the backup to (hpp backup FILE, e.g. hpp backup /backups/hpp-2026-01-31.db)"}
	}
	database, _, err := config.Database(e.Getenv)
	if err != nil {
		return err
	}
	if err := storage.Backup(ctx, database, config.DatabaseSetting(e.Getenv), args[0]); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.Stdout, "hpp: backed up %s to %s\n", database, args[0])
	return err
}

// restore is `hpp restore FILE`, with the server stopped.
func restore(ctx context.Context, e Env, args []string) error {
	if strings.TrimSpace(args[0]) == "" {
		return UsageError{"restore: the file name is empty: give the backup file to restore (hpp restore FILE)"}
	}
	database, _, err := config.Database(e.Getenv)
	if err != nil {
		return err
	}
	kept, err := storage.Restore(ctx, database, config.DatabaseSetting(e.Getenv), args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "hpp: restored %s from %s\n", database, args[0])
	if kept != "" {
		fmt.Fprintf(e.Stdout, "hpp: the database it replaced is kept as %s\n", kept)
	}
	// Payments started after the backup was taken are not in it; Latipay's
	// callbacks for those paid are kept and listed on the back office's
	// home (payments/sqlite/README.md).
	fmt.Fprintf(e.Stdout, "hpp: payments made after the backup was taken are not in it: those Latipay reports paid are listed on the back office's home under \"Paid at Latipay, unknown here\"; find every one in Latipay's merchant portal\n")
	fmt.Fprintf(e.Stdout, "hpp: voided every trusted device (the browsers' sign-in device cookies) the backup held: people sign in again as usual\n")
	// The backup's sessions came back with it (payments/sqlite/README.md).
	fmt.Fprintf(e.Stdout, "hpp: before starting the app, run hpp admin end-sessions: the backup brought back the sessions it held\n")
	return nil
}

// Revision is the commit the binary was built from when the build had no
// git checkout to read it from: the Dockerfile sets it from its
// HPP_REVISION build argument (-ldflags -X), since its build context
// leaves .git out. A revision in the build info wins.
var Revision = ""

// Version prints the module version and the VCS revision recorded in the
// build info (go build in a git checkout records them), else Revision.
func Version(w io.Writer) error {
	version, revision, modified := "(unknown)", "unknown", ""
	if Revision != "" {
		revision = Revision
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				revision = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = " (modified)"
			}
		}
	}
	_, err := fmt.Fprintf(w, "hpp %s revision %s%s\n", version, revision, modified)
	return err
}
