package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/config"
	"github.com/latipay-hpp/hpp/config/cli"
	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/sqlite"
	"github.com/latipay-hpp/hpp/payments/storage"
)

// TestMain runs the real main when HPP_TEST_AS_HPP=1, so that tests can
// run this test binary as the hpp command and see its exit status.
func TestMain(m *testing.M) {
	if os.Getenv("HPP_TEST_AS_HPP") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hpp runs the test binary as the hpp command with args, in an
// environment that would start a server on a free port if the command
// line were taken for "serve"; it returns stdout, stderr and the exit
// status. A command that started the server would not end: the context
// stops it, and the test fails on the status.
func hpp(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	return hppEnv(t, nil, args...)
}

// hppEnv is hpp with env added to (and overriding) its environment.
func hppEnv(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "HPP_TEST_AS_HPP=1", "HPP_ADDR=127.0.0.1:0",
		"HPP_DATABASE="+filepath.Join(t.TempDir(), "hpp.db"), "HPP_LOG_LEVEL=error")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		status = ee.ExitCode()
	default:
		t.Fatalf("hpp %q: %v (stdout %q): it did not end by itself", args, err, out.String())
	}
	if strings.Contains(out.String(), "listening on") {
		t.Errorf("hpp %q started the server: %q", args, out.String())
	}
	return out.String(), errb.String(), status
}

// TestHelp: "hpp help", "hpp -h" and "hpp --help" list every command and
// exit 0 without starting the server.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		out, _, status := hpp(t, args...)
		if status != 0 {
			t.Errorf("hpp %q: exit status %d, want 0", args, status)
		}
		for _, c := range cli.Commands() {
			if !strings.Contains(out, "  "+c.Name+" ") {
				t.Errorf("hpp %q does not list %s:\n%s", args, c.Name, out)
			}
		}
	}
}

// TestCommandHelp: every command, "serve" included, answers --help (and
// "hpp help NAME") with its own usage and exit status 0, and none of them
// starts the server.
func TestCommandHelp(t *testing.T) {
	for _, c := range cli.Commands() {
		for _, args := range [][]string{{c.Name, "--help"}, {c.Name, "-h"}, {"help", c.Name}} {
			out, errOut, status := hpp(t, args...)
			if status != 0 || !strings.HasPrefix(out, "Usage: hpp "+c.Name+" ") || !strings.Contains(out, c.Summary) {
				t.Errorf("hpp %q = status %d, stdout %q, stderr %q; want 0 and the usage of %s", args, status, out, errOut, c.Name)
			}
		}
	}
}

// TestVersion: "hpp version" prints the module version and the VCS
// revision from the build info.
func TestVersion(t *testing.T) {
	out, _, status := hpp(t, "version")
	bi, _ := debug.ReadBuildInfo()
	if status != 0 || !strings.HasPrefix(out, "hpp "+bi.Main.Version+" revision ") {
		t.Errorf("hpp version = status %d, %q; want 0 and \"hpp %s revision ...\"", status, out, bi.Main.Version)
	}
}

// TestCommandLineRefused: an unknown command, an unknown flag or the wrong
// number of arguments prints the usage on stderr and exits with status 2,
// never starting the server.
func TestCommandLineRefused(t *testing.T) {
	for _, args := range [][]string{{"nonsense"}, {"--port=80"}, {"serve", "--verbose"}, {"serve", "extra"},
		{"selfcheck"}, {"selfcheck", "--bogus", "http://127.0.0.1:1/"}, {"version", "now"}, {"help", "nonsense"}} {
		out, errOut, status := hpp(t, args...)
		if status != 2 || !strings.Contains(errOut, "Usage: hpp") || out != "" {
			t.Errorf("hpp %q = status %d, stdout %q, stderr %q; want 2, the usage on stderr", args, status, out, errOut)
		}
	}
}

// fakeEnv is a getenv over a map.
func fakeEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// startRun calls run in the background and returns the first stdout line,
// a cancel func and the channel run's error arrives on.
func startRun(t *testing.T, env map[string]string) (first string, stop context.CancelFunc, errc <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // keep draining
			}
		}
	}()
	ec := make(chan error, 1)
	go func() {
		ec <- run(ctx, []string{"hpp"}, fakeEnv(env), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		pr.Close()
	})
	select {
	case l := <-lines:
		return l, cancel, ec
	case err := <-ec:
		t.Fatalf("run returned before printing: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("run printed nothing within a minute")
	}
	return "", cancel, ec
}

func TestRunSmoke(t *testing.T) {
	first, stop, errc := startRun(t, map[string]string{
		"HPP_ADDR":       "127.0.0.1:0",
		"HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE":   filepath.Join(t.TempDir(), "hpp.db"),
		"HPP_LOG_LEVEL":  "warn",
	})
	// "hpp: listening on 127.0.0.1:PORT, open http://..."
	_, rest, ok := strings.Cut(first, "listening on ")
	addr, _, ok2 := strings.Cut(rest, ",")
	if !ok || !ok2 || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("first line = %q, want the listening address", first)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", resp.StatusCode, b)
	}
	stop()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return within 15s of cancel")
	}
}

// TestRunSweepsLinkUses: run starts the links' sweep. A 1-use link whose
// place an hour-old use holds with no payment (the process stopped
// between counting it and making the payment) is free again soon after
// start-up.
func TestRunSweepsLinkUses(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hpp.db")
	st, err := sqlite.Open(t.Context(), db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	l := payments.Link{ID: "0123456789abcdefghjkmnpqrs", Source: payments.SourceLink, Amount: 1000, Currency: payments.NZD,
		MaxUses: 1, Active: true, CreatedAt: now.Add(-2 * time.Hour), UpdatedAt: now.Add(-2 * time.Hour)}
	if err := st.CreateLink(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	if _, used, _, err := st.UseLink(t.Context(), l.ID, "form-key-0123456789:1000", now.Add(-time.Hour)); err != nil || !used {
		t.Fatalf("UseLink = %v, %v", used, err)
	}
	if err := st.Close(); err != nil { // one instance per SQLite file
		t.Fatal(err)
	}
	_, stop, errc := startRun(t, map[string]string{
		"HPP_ADDR":       "127.0.0.1:0",
		"HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE":   db,
		"HPP_LOG_LEVEL":  "warn",
	})
	defer func() { stop(); <-errc }()
	read, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer read.Close()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var uses int
		err := read.QueryRowContext(t.Context(), `SELECT uses FROM payment_links WHERE id = ?`, l.ID).Scan(&uses)
		if err == nil && uses == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after start-up the link holds %d places (%v); want its orphaned place given back", uses, err)
		}
	}
}

// TestRunReleasesStartupMemory: once listening, run collects start-up's
// garbage and returns it to the OS (cli.ReleaseStartupMemory), which
// shows as a forced collection.
func TestRunReleasesStartupMemory(t *testing.T) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	forced := m.NumForcedGC
	_, stop, errc := startRun(t, map[string]string{
		"HPP_ADDR":       "127.0.0.1:0",
		"HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE":   filepath.Join(t.TempDir(), "hpp.db"),
		"HPP_LOG_LEVEL":  "warn",
	})
	defer func() { stop(); <-errc }()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if runtime.ReadMemStats(&m); m.NumForcedGC > forced {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no forced collection within a minute of start-up")
		}
	}
}

func TestRunConfigError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := run(ctx, []string{"hpp"}, fakeEnv(map[string]string{
		"HPP_ADDR":       "127.0.0.1:0",
		"HPP_PUBLIC_URL": "ftp://pay.example.com",
		"HPP_DATABASE":   filepath.Join(t.TempDir(), "hpp.db"),
		"HPP_LOG_LEVEL":  "loud",
	}), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("run with a bad HPP_PUBLIC_URL = nil, want an error")
	}
	for _, name := range []string{"HPP_PUBLIC_URL", "HPP_LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("run error %q does not name %s", err, name)
		}
	}
}

// startLines runs the sandbox with env until it has printed its start-up
// lines (up to "SANDBOX MODE", which follows the back office's), then
// stops it, and returns the lines.
func startLines(t *testing.T, env map[string]string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	ec := make(chan error, 1)
	go func() {
		ec <- run(ctx, []string{"hpp"}, fakeEnv(env), pw, io.Discard)
		pw.Close()
	}()
	var lines []string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "SANDBOX MODE") {
			break
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if err := <-ec; err != nil {
		t.Fatalf("run: %v (printed %q)", err, lines)
	}
	return lines
}

// TestFirstRun: with no owner the start-up lines carry a one-time setup
// link whose token the database keeps only as a hash; once an owner
// exists (here from HPP_ADMIN_EMAIL) no link is printed. The sandbox's
// demo owner is printed with a password that signs in, and
// `hpp admin reset-password` replaces it.
func TestFirstRun(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hpp.db")
	env := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE": db, "HPP_LOG_LEVEL": "error", "HPP_SANDBOX_DEMO_OWNER": "off"}
	lines := startLines(t, env)
	_, tok, ok := strings.Cut(lines[1], "/admin/setup?token=")
	tok, _, _ = strings.Cut(tok, " ")
	if !ok || len(tok) != 22 { // 128 bits in base64url
		t.Fatalf("start-up lines %q: want a setup link with a 128-bit token", lines)
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(tok)) {
		t.Error("the setup token is in the database file in clear")
	}

	pwFile := filepath.Join(dir, "owner-password")
	if err := os.WriteFile(pwFile, []byte("a long enough owner password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env["HPP_ADMIN_EMAIL"], env["HPP_ADMIN_PASSWORD_FILE"] = "Owner@Shop.example", pwFile
	lines = startLines(t, env)
	for _, l := range lines {
		if strings.Contains(l, "token=") {
			t.Errorf("with an owner a setup link is still printed: %q", l)
		}
	}

	delete(env, "HPP_SANDBOX_DEMO_OWNER")
	lines = startLines(t, env)
	demo := strings.Join(lines, "\n")
	_, pw, ok := strings.Cut(demo, "sign in as "+demoOwner+" with password ")
	if f := strings.Fields(pw); len(f) > 0 {
		pw = f[0]
	}
	if !ok || len(pw) < 12 {
		t.Fatalf("sandbox start-up lines %q: want the demo owner's sign-in", lines)
	}
	// The demo sign-in is the database's: a restart prints the same one.
	if again := strings.Join(startLines(t, env), "\n"); !strings.Contains(again, "with password "+pw+"\n") && !strings.HasSuffix(again, "with password "+pw) {
		t.Errorf("after a restart the demo owner's sign-in changed: %q, want password %s", again, pw)
	}

	out, errOut, status := hppEnv(t, map[string]string{"HPP_DATABASE": db}, "admin", "reset-password", "owner@shop.example")
	_, newPW, ok := strings.Cut(out, "New password for owner@shop.example: ")
	newPW, _, _ = strings.Cut(newPW, "\n")
	if status != 0 || !ok || len(newPW) < 12 {
		t.Fatalf("hpp admin reset-password = %d, %q, %q", status, out, errOut)
	}
	_, errOut, status = hppEnv(t, map[string]string{"HPP_DATABASE": db}, "admin", "reset-password", "nobody@shop.example")
	if status != 1 || !strings.Contains(errOut, "no account") {
		t.Errorf("reset-password of an unknown email = %d, %q", status, errOut)
	}

	st, err := sqlite.Open(t.Context(), db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acc, _ := accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
	for _, c := range []struct{ email, pw string }{{demoOwner, pw}, {"owner@shop.example", newPW}} {
		if _, _, err := acc.SignIn(t.Context(), c.email, c.pw, accounts.Actor{}); err != nil {
			t.Errorf("sign in as %s with the printed password: %v", c.email, err)
		}
	}
	if _, _, err := acc.SignIn(t.Context(), "owner@shop.example", "a long enough owner password", accounts.Actor{}); !errors.Is(err, accounts.ErrBadCredential) {
		t.Errorf("the password before the reset still signs in: %v", err)
	}
}

// TestFirstRunRestartKeepsLinks: on SQLite (one instance), each start
// without an owner prints a new setup link and the earlier ones stay good
// until one of them makes the owner, which voids them all.
func TestFirstRunRestartKeepsLinks(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hpp.db")
	env := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE": db, "HPP_LOG_LEVEL": "error", "HPP_SANDBOX_DEMO_OWNER": "off"}
	var toks []string
	for range 3 {
		lines := strings.Join(startLines(t, env), "\n")
		_, tok, ok := strings.Cut(lines, "/admin/setup?token=")
		tok, _, _ = strings.Cut(tok, " ")
		if !ok || len(tok) != 22 || slices.Contains(toks, tok) {
			t.Fatalf("start-up lines %q: want a new setup link", lines)
		}
		toks = append(toks, tok)
	}
	st, err := sqlite.Open(t.Context(), db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acc, _ := accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
	const pw = "a long enough owner password"
	if _, err := acc.CompleteSetup(t.Context(), toks[0], "owner@shop.example", "", pw, accounts.Actor{}); err != nil {
		t.Fatalf("the first start's link after two restarts: %v", err)
	}
	for _, tok := range toks[1:] {
		if _, err := acc.CompleteSetup(t.Context(), tok, "second@shop.example", "", pw, accounts.Actor{}); err == nil {
			t.Fatal("a second setup link made another owner")
		}
	}
	if as, err := st.Accounts(t.Context()); err != nil || len(as) != 1 {
		t.Fatalf("accounts after setup: %v, %v", as, err)
	}
}

// TestRunDatabaseErrors: a database that cannot be used stops start-up
// with an error naming HPP_DATABASE and the path (it said only "unable to
// open database file (14)"), and another program's SQLite file is refused
// instead of receiving our tables.
func TestRunDatabaseErrors(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "crm.db")
	other, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec("CREATE TABLE contacts (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	other.Close()
	for path, want := range map[string]string{
		filepath.Join(dir, "missing", "hpp.db"): "no such file or directory",
		foreign:                                 "another program's tables (contacts)",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := run(ctx, []string{"hpp"}, fakeEnv(map[string]string{
			"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE": path,
		}), io.Discard, io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "HPP_DATABASE") || !strings.Contains(err.Error(), path) ||
			!strings.Contains(err.Error(), want) {
			t.Errorf("run with HPP_DATABASE=%s = %v, want an error naming HPP_DATABASE, the path and %q", path, err, want)
		}
	}
}

// TestRunMetricsAddrInUse: a metrics address another process holds is a
// start-up error naming HPP_METRICS_ADDR, and so is the public address.
func TestRunMetricsAddrInUse(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, tc := range []struct{ addr, metrics string }{
		{"127.0.0.1:0", held.Addr().String()},        // in use
		{held.Addr().String(), held.Addr().String()}, // the public address itself
	} {
		err := run(ctx, []string{"hpp"}, fakeEnv(map[string]string{
			"HPP_ADDR":         tc.addr,
			"HPP_PUBLIC_URL":   "http://127.0.0.1:8999",
			"HPP_DATABASE":     filepath.Join(t.TempDir(), "hpp.db"),
			"HPP_METRICS_ADDR": tc.metrics,
			"HPP_LOG_LEVEL":    "warn",
		}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "HPP_METRICS_ADDR") {
			t.Errorf("run with HPP_ADDR=%s HPP_METRICS_ADDR=%s = %v, want an error naming HPP_METRICS_ADDR", tc.addr, tc.metrics, err)
		}
	}
}

// TestRunBackupRestore: `hpp backup` copies the database while the server
// serves it; `hpp restore` refuses while it runs, and once it is stopped
// puts the copy back, so the payment made before the backup is served
// again and the one made after it is not. A PostgreSQL HPP_DATABASE is
// pointed at pg_dump.
func TestRunBackupRestore(t *testing.T) {
	dir := t.TempDir()
	key := strings.Repeat("b", 32)
	env := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE": filepath.Join(dir, "hpp.db"), "HPP_API_KEY": key, "HPP_LOG_LEVEL": "warn"}
	cmd := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), append([]string{"hpp"}, args...), fakeEnv(env), &out, io.Discard)
		return out.String(), err
	}
	serve := func() (string, context.CancelFunc, <-chan error) {
		first, stop, errc := startRun(t, env)
		_, rest, _ := strings.Cut(first, "listening on ")
		addr, _, _ := strings.Cut(rest, ",")
		return "http://" + addr, stop, errc
	}
	api := func(base, method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	create := func(base, ref string) string {
		code, body := api(base, "POST", "/api/v1/payments", `{"amount":"12.50","currency":"NZD","reference":"`+ref+`","description":"x","return_url":"http://127.0.0.1:8999/"}`)
		_, rest, _ := strings.Cut(body, `"id":"`)
		id, _, _ := strings.Cut(rest, `"`)
		if code != http.StatusCreated || id == "" {
			t.Fatalf("create %s = %d %s", ref, code, body)
		}
		return id
	}

	base, stop, errc := serve()
	before := create(base, "BEFORE-BACKUP")
	backup := filepath.Join(dir, "backup.db")
	if out, err := cmd("backup", backup); err != nil || !strings.Contains(out, backup) {
		t.Fatalf("hpp backup while serving = %q, %v", out, err)
	}
	after := create(base, "AFTER-BACKUP")
	if _, err := cmd("restore", backup); err == nil || !strings.Contains(err.Error(), "stop the server") {
		t.Errorf("hpp restore while serving = %v, want a refusal", err)
	}
	if _, err := cmd("backup", filepath.Join(env["HPP_DATABASE"], "x.db")); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("hpp backup to a path that cannot be written = %v, want a clear error", err)
	}
	stop()
	<-errc

	if out, err := cmd("restore", backup); err != nil || !strings.Contains(out, "kept as") {
		t.Fatalf("hpp restore = %q, %v", out, err)
	} else if !strings.Contains(out, "payments made after the backup was taken are not in it") || !strings.Contains(out, "Paid at Latipay, unknown here") {
		t.Errorf("hpp restore does not say that later payments are missing, nor where to find them:\n%s", out)
	}
	missing := filepath.Join(dir, "no-such-folder", "hpp.db")
	env["HPP_DATABASE"] = missing
	if _, err := cmd("restore", backup); err == nil || !strings.Contains(err.Error(), filepath.Dir(missing)+" does not exist") || strings.Contains(err.Error(), "stop the server") {
		t.Errorf("hpp restore into a folder that does not exist = %v, want it named as missing", err)
	}
	env["HPP_DATABASE"] = filepath.Join(dir, "hpp.db")
	base, stop, errc = serve()
	if code, body := api(base, "GET", "/api/v1/payments/"+before, ""); code != http.StatusOK {
		t.Errorf("payment made before the backup, after restore = %d %s", code, body)
	}
	if code, _ := api(base, "GET", "/api/v1/payments/"+after, ""); code != http.StatusNotFound {
		t.Errorf("payment made after the backup, after restore = %d, want 404", code)
	}
	stop()
	<-errc

	env["HPP_DATABASE"] = "postgres://hpp@127.0.0.1:1/hpp"
	if _, err := cmd("backup", backup+"2"); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("hpp backup on PostgreSQL = %v, want a pointer to pg_dump", err)
	}
}

// TestRunCheckConfig: check-config prints the effective settings with
// every secret masked, lists every problem at once and fails when live
// start-up would refuse; a sound configuration passes.
func TestRunCheckConfig(t *testing.T) {
	db, err := url.Parse(pgtest.Schema(t)) // a database check-config can reach
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]string{"HPP_PUBLIC_URL": "https://pay.example.com", "HPP_API_KEY": "CANARY-api-3f9c1e7a5b2d8064f1a9c3e7",
		"HPP_SESSION_KEY": "CANARY-session-8d2b6f0a4c9e1357bd", "LATIPAY_API_KEY": "CANARY-latipay-7e3a91c5d2f8",
		"LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001",
		"HPP_DATABASE": db.String(), "HPP_WEBHOOK_SECRET": "CANARY-webhook-5c0e8a2f7d1b9e4a6c"}
	check := func(env map[string]string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), []string{"hpp", "check-config"}, fakeEnv(env), &out, io.Discard)
		return out.String(), err
	}
	out, err := check(live)
	masked := true // the database's password, when it has one, shows as xxxxx
	if pw, ok := db.User.Password(); ok {
		masked = !strings.Contains(out, ":"+pw+"@") && strings.Contains(out, "postgres://"+db.User.Username()+":xxxxx@")
	}
	if err != nil || !strings.Contains(out, "live") || !strings.Contains(out, "HPP_API_KEY") || !masked {
		t.Errorf("check-config of a sound live configuration = %v:\n%s", err, out)
	}
	if strings.Contains(out, "CANARY") {
		t.Errorf("check-config prints a secret:\n%s", out)
	}

	broken := map[string]string{}
	for k, v := range live {
		broken[k] = v
	}
	broken["HPP_PUBLIC_URL"] = "http://pay.example.com"
	broken["HPP_SESSION_KEY"] = "CANARY-short"
	broken["HPP_METRICS_ADDR"] = "nonsense"
	out, err = check(broken)
	if err == nil {
		t.Fatalf("check-config of a configuration live start-up refuses = nil:\n%s", out)
	}
	for _, name := range []string{"HPP_PUBLIC_URL", "HPP_SESSION_KEY", "HPP_METRICS_ADDR"} {
		if !strings.Contains(out, "problem: config: "+name) && !strings.Contains(out, "problem: "+name) {
			t.Errorf("check-config does not report %s:\n%s", name, out)
		}
	}
	if !strings.Contains(out, "HPP_MERCHANT_NAME") || strings.Contains(out, "CANARY") {
		t.Errorf("check-config with problems: want the settings still listed, no secret:\n%s", out)
	}
	if err := run(t.Context(), []string{"hpp"}, fakeEnv(broken), io.Discard, io.Discard); err == nil {
		t.Error("run started with the configuration check-config refused")
	}
}

// TestRunCheckConfigOwnerPassword: the first owner's password
// (HPP_ADMIN_PASSWORD_FILE) is held to the rule every back-office password
// follows (accounts.CheckPassword), by hpp check-config and start-up
// alike: a common password of 12 characters makes check-config exit 1
// naming the setting and saying why in the back office's words, and
// start-up refuses it the same way before it opens the database (it
// passed check-config, then stopped start-up with "accounts: invalid
// password"). The password itself is never printed.
func TestRunCheckConfigOwnerPassword(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "admin-password")
	const common = "Password1234"
	if err := os.WriteFile(pwFile, []byte(common+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refusal := accounts.CheckPassword(common)
	if refusal == nil {
		t.Fatalf("accounts takes %q: want a common password", common)
	}
	_, why, _ := strings.Cut(refusal.Error(), "password: ") // "it is one of the most common passwords"
	env := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_LOG_LEVEL": "error",
		"HPP_DATABASE": filepath.Join(dir, "hpp.db"), "HPP_SANDBOX_DEMO_OWNER": "off",
		"HPP_ADMIN_EMAIL": "owner@shop.example", "HPP_ADMIN_PASSWORD_FILE": pwFile}
	var out strings.Builder
	err := run(t.Context(), []string{"hpp", "check-config"}, fakeEnv(env), &out, io.Discard)
	if err == nil || cli.ExitCode(err) != 1 {
		t.Fatalf("check-config with a common owner password = %v (exit %d), want exit 1:\n%s", err, cli.ExitCode(err), out.String())
	}
	if !strings.Contains(out.String(), "problem: HPP_ADMIN_PASSWORD_FILE") || !strings.Contains(out.String(), why) {
		t.Errorf("check-config with a common owner password says:\n%s\nwant a problem naming HPP_ADMIN_PASSWORD_FILE saying %q", out.String(), why)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err = run(ctx, []string{"hpp"}, fakeEnv(env), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HPP_ADMIN_PASSWORD_FILE") || !strings.Contains(err.Error(), why) {
		t.Errorf("start-up with a common owner password = %v, want a refusal naming HPP_ADMIN_PASSWORD_FILE saying %q", err, why)
	}
	if strings.Contains(out.String(), common) || (err != nil && strings.Contains(err.Error(), common)) {
		t.Error("the owner's password is printed")
	}
	if _, err := os.Stat(filepath.Join(dir, "hpp.db")); !os.IsNotExist(err) {
		t.Errorf("a refused start-up made the database: %v", err)
	}
}

// TestRunLiveRefusesSandboxDatabase: a database the sandbox has used
// (here with every key configured and no demo owner, so only the
// sandbox's own mark tells) is refused by live start-up and by live
// check-config, both saying why and what to do; a fresh database passes
// check-config, which neither creates nor changes it.
func TestRunLiveRefusesSandboxDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hpp.db")
	startLines(t, map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE": db,
		"HPP_LOG_LEVEL": "error", "HPP_SANDBOX_DEMO_OWNER": "off", "HPP_API_KEY": strings.Repeat("a", 32),
		"HPP_LINK_SECRET": strings.Repeat("l", 32), "HPP_SESSION_KEY": strings.Repeat("s", 32)})
	live := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE": db,
		"HPP_LOG_LEVEL": "error", "HPP_API_KEY": "3f9c1e7a5b2d8064f1a9c3e7d2b6f0a4", "HPP_SESSION_KEY": "8d2b6f0a4c9e1357bd3f9c1e7a5b2d80",
		"LATIPAY_API_KEY": "7e3a91c5d2f84b6a", "LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001"}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err := run(ctx, []string{"hpp"}, fakeEnv(live), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HPP_DATABASE holds sandbox data") || !strings.Contains(err.Error(), "fresh database") {
		t.Errorf("live start-up on the sandbox's database = %v, want a refusal that says why and what to do", err)
	}
	var out strings.Builder
	err = run(ctx, []string{"hpp", "check-config"}, fakeEnv(live), &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "problem: HPP_DATABASE holds sandbox data") {
		t.Errorf("live check-config on the sandbox's database = %v:\n%s", err, out.String())
	}

	live["HPP_DATABASE"] = filepath.Join(dir, "live.db")
	out.Reset()
	if err := run(ctx, []string{"hpp", "check-config"}, fakeEnv(live), &out, io.Discard); err != nil {
		t.Errorf("live check-config on a fresh database = %v:\n%s", err, out.String())
	}
	if _, err := os.Stat(live["HPP_DATABASE"]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("check-config created the database file: %v", err)
	}
}

// TestSimulatorNeedsMerchant: `hpp simulator` accepts one merchant, named
// by the LATIPAY_ settings; its help says so, and without them it stops
// naming them (it said only "merchant needs a UserID and an APIKey").
func TestSimulatorNeedsMerchant(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"hpp", "help", "simulator"}, fakeEnv(nil), &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "LATIPAY_USER_ID") || !strings.Contains(out.String(), "LATIPAY_API_KEY") {
		t.Errorf("hpp help simulator = %v, %q; want the settings it needs", err, out.String())
	}
	err := run(t.Context(), []string{"hpp", "simulator"}, fakeEnv(map[string]string{"LATIPAY_WALLET_NZD": "W1"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "LATIPAY_USER_ID") || !strings.Contains(err.Error(), "LATIPAY_API_KEY") {
		t.Errorf("hpp simulator without a merchant = %v, want an error naming LATIPAY_USER_ID and LATIPAY_API_KEY", err)
	}
}

// TestRunSandboxRefusesLiveDatabase: started without LATIPAY_API_KEY on a
// live shop's database (an owner, no sandbox data), the sandbox refuses
// it, saying what to do, instead of adding its demo owner, who could
// sign in to the shop's back office, and its mark, after which live
// start-up would refuse the shop's own database. Nothing is written.
func TestRunSandboxRefusesLiveDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hpp.db")
	st, err := sqlite.Open(t.Context(), db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := accounts.NewService(st, accounts.NewHasher(1), time.Now, rand.Reader)
	if _, err := acc.EnsureOwner(t.Context(), "owner@shop.example", "a long enough owner password", accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err = run(ctx, []string{"hpp"}, fakeEnv(map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE": db, "HPP_LOG_LEVEL": "error"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "LATIPAY_API_KEY is unset") || !strings.Contains(err.Error(), "a database of its own") {
		t.Fatalf("sandbox start-up on a live shop's database = %v, want a refusal that says what to do", err)
	}
	if st, err = sqlite.Open(t.Context(), db, time.Now); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if used, err := st.HasSandboxData(t.Context()); used || err != nil {
		t.Errorf("after the refusal the database holds sandbox data: %v, %v", used, err)
	}
}

// TestRunSandboxRefusesLiveStart: a database live start-up has used, with
// an owner from HPP_ADMIN_EMAIL or only its printed setup link (no
// account, no payment), is refused by sandbox start-up and by sandbox
// check-config alike (check-config said ok, and the sandbox wrote its
// demo owner and keys into the one awaiting setup, after which live
// refused it); the refusals write nothing, and live still starts on it.
func TestRunSandboxRefusesLiveStart(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "admin-password")
	if err := os.WriteFile(pwFile, []byte("a long enough owner password"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, admin := range map[string]map[string]string{
		"owner":      {"HPP_ADMIN_EMAIL": "owner@shop.example", "HPP_ADMIN_PASSWORD_FILE": pwFile},
		"setup link": {},
	} {
		db := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".db")
		live := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE": db,
			"HPP_LOG_LEVEL": "error", "HPP_API_KEY": "3f9c1e7a5b2d8064f1a9c3e7d2b6f0a4", "HPP_SESSION_KEY": "8d2b6f0a4c9e1357bd3f9c1e7a5b2d80",
			"LATIPAY_API_KEY": "7e3a91c5d2f84b6a", "LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001"}
		maps.Copy(live, admin)
		startLive := func() {
			first, stop, errc := startRun(t, live)
			if stop(); !strings.Contains(first, "listening") {
				t.Fatalf("%s: live start-up printed %q", name, first)
			}
			if err := <-errc; err != nil {
				t.Fatalf("%s: live run: %v", name, err)
			}
		}
		startLive()
		read, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		var since string
		if err := read.QueryRow(`SELECT value FROM live_settings WHERE name = 'HPP_LIVE_SINCE'`).Scan(&since); err != nil {
			t.Errorf("%s: live start-up's mark: %v", name, err)
		}
		read.Close()
		sandbox := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE": db, "HPP_LOG_LEVEL": "error"}
		var out strings.Builder
		err = run(t.Context(), []string{"hpp", "check-config"}, fakeEnv(sandbox), &out, io.Discard)
		if err == nil || !strings.Contains(out.String(), "problem: HPP_DATABASE is a live shop's") {
			t.Errorf("%s: sandbox check-config on a live database = %v:\n%s", name, err, out.String())
		}
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		err = run(ctx, []string{"hpp"}, fakeEnv(sandbox), io.Discard, io.Discard)
		cancel()
		if !errors.Is(err, storage.ErrLiveData) {
			t.Errorf("%s: sandbox start-up on a live database = %v, want ErrLiveData", name, err)
		}
		st, err := sqlite.Open(t.Context(), db, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if used, err := st.HasSandboxData(t.Context()); used || err != nil {
			t.Errorf("%s: after the refusals the database holds sandbox data: %v, %v", name, used, err)
		}
		st.Close()
		startLive()
	}
}

// lockedBuffer is a bytes.Buffer that run's logger and the test may use
// at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunWarnsDatabaseOthersMayRead: a SQLite file an earlier version
// made 0644 (new ones are 0600) is named, with its mode and "chmod 600",
// once in start-up's log and in check-config; a new file is not.
func TestRunWarnsDatabaseOthersMayRead(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE": old, "HPP_LOG_LEVEL": "warn"}
	said := func(out string) int {
		n := 0
		for l := range strings.Lines(out) {
			if strings.Contains(l, "HPP_DATABASE: "+old) && strings.Contains(l, "mode 0644") && strings.Contains(l, "chmod 600") {
				n++
			}
		}
		return n
	}

	var out strings.Builder
	if err := run(t.Context(), []string{"hpp", "check-config"}, fakeEnv(env), &out, io.Discard); err != nil {
		t.Fatalf("check-config = %v:\n%s", err, out.String())
	}
	if n := said(out.String()); n != 1 || !strings.Contains(out.String(), "warning: HPP_DATABASE: ") {
		t.Errorf("check-config warns %d times about the 0644 database, want once:\n%s", n, out.String())
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	var logged lockedBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"hpp"}, fakeEnv(env), pw, &logged)
		pw.Close()
	}()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	// The first line on stdout comes after start-up's log.
	first := make([]byte, 1)
	if _, err := pr.Read(first); err != nil {
		t.Fatalf("run printed nothing: %v", err)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("run = %v\n%s", err, logged.String())
	}
	if n := said(logged.String()); n != 1 {
		t.Errorf("start-up warns %d times about the 0644 database, want once:\n%s", n, logged.String())
	}

	out.Reset()
	env["HPP_DATABASE"] = filepath.Join(dir, "new.db")
	if err := run(t.Context(), []string{"hpp", "check-config"}, fakeEnv(env), &out, io.Discard); err != nil || strings.Contains(out.String(), "warning: HPP_DATABASE") {
		t.Errorf("check-config of a new database = %v, want no warning about it:\n%s", err, out.String())
	}
}

// TestDatabaseFileNamed: a database given by HPP_DATABASE_FILE is named
// so in every message about it (start-up, check-config, backup), never
// as HPP_DATABASE, which the operator did not set: a SQLite file that
// cannot be opened, the sandbox's database refused live, a live
// database refused by the sandbox, a file others may read, a
// PostgreSQL database backed up.
func TestDatabaseFileNamed(t *testing.T) {
	dir := t.TempDir()
	viaFile := func(name, database string) string {
		t.Helper()
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(database+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// Names HPP_DATABASE_FILE and nothing but it.
	named := func(what, msg string) {
		t.Helper()
		if !strings.Contains(msg, "HPP_DATABASE_FILE") || strings.Contains(strings.ReplaceAll(msg, "HPP_DATABASE_FILE", ""), "HPP_DATABASE") {
			t.Errorf("%s says %q; want HPP_DATABASE_FILE named, HPP_DATABASE not", what, msg)
		}
	}
	sandboxDB := filepath.Join(dir, "sandbox.db")
	st, err := storage.Open(t.Context(), sandboxDB, "HPP_DATABASE", hub.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SandboxSetting(t.Context(), "HPP_SANDBOX_SINCE", "2026-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	live := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE_FILE": viaFile("sandbox-db", sandboxDB),
		"HPP_LOG_LEVEL": "error", "HPP_API_KEY": "3f9c1e7a5b2d8064f1a9c3e7d2b6f0a4", "HPP_SESSION_KEY": "8d2b6f0a4c9e1357bd3f9c1e7a5b2d80",
		"LATIPAY_API_KEY": "7e3a91c5d2f84b6a", "LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001"}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err = run(ctx, []string{"hpp"}, fakeEnv(live), io.Discard, io.Discard)
	if !errors.Is(err, storage.ErrSandboxData) {
		t.Fatalf("live start-up on the sandbox's database = %v, want ErrSandboxData", err)
	}
	named("live start-up on the sandbox's database", err.Error())
	var out strings.Builder
	_ = run(ctx, []string{"hpp", "check-config"}, fakeEnv(live), &out, io.Discard)
	_, problem, ok := strings.Cut(out.String(), "problem: ")
	problem, _, _ = strings.Cut(problem, "\n")
	if !ok || !strings.Contains(problem, "holds sandbox data") {
		t.Errorf("live check-config on the sandbox's database:\n%s", out.String())
	}
	named("live check-config on the sandbox's database", problem)

	missing := filepath.Join(dir, "missing", "hpp.db")
	sandbox := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE_FILE": viaFile("missing-db", missing), "HPP_LOG_LEVEL": "error"}
	if err := run(ctx, []string{"hpp"}, fakeEnv(sandbox), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("start-up on a SQLite file that cannot be made = %v, want it named", err)
	} else {
		named("start-up on a SQLite file that cannot be made", err.Error())
	}

	liveDB := filepath.Join(dir, "live.db")
	if st, err = storage.Open(t.Context(), liveDB, "HPP_DATABASE", hub.New(), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkLive(t.Context(), "2026-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := os.Chmod(liveDB, 0o644); err != nil {
		t.Fatal(err)
	}
	sandbox["HPP_DATABASE_FILE"] = viaFile("live-db", liveDB)
	out.Reset()
	_ = run(ctx, []string{"hpp", "check-config"}, fakeEnv(sandbox), &out, io.Discard)
	for l := range strings.Lines(out.String()) {
		if strings.Contains(l, "is a live shop's") || strings.Contains(l, "chmod 600") {
			named("sandbox check-config on a live database others may read", l)
		}
	}
	if !strings.Contains(out.String(), "is a live shop's") || !strings.Contains(out.String(), "chmod 600") {
		t.Errorf("sandbox check-config on a live database others may read:\n%s", out.String())
	}
	err = run(ctx, []string{"hpp"}, fakeEnv(sandbox), io.Discard, io.Discard)
	if !errors.Is(err, storage.ErrLiveData) {
		t.Fatalf("sandbox start-up on a live database = %v, want ErrLiveData", err)
	}
	named("sandbox start-up on a live database", err.Error())

	pg := map[string]string{"HPP_DATABASE_FILE": viaFile("pg-db", "postgres://hpp@127.0.0.1:1/hpp")}
	for _, cmd := range []string{"backup", "restore"} {
		err := run(ctx, []string{"hpp", cmd, filepath.Join(dir, "b.db")}, fakeEnv(pg), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("%s of PostgreSQL = %v, want pg_dump named", cmd, err)
			continue
		}
		named(cmd+" of PostgreSQL", err.Error())
	}
}

// raceStore is an instance's store whose first AccountByEmail waits until
// every instance has made its own, so that all of them find no account
// and go on to create it, as instances started together on a fresh
// database do.
type raceStore struct {
	storage.Store
	once    sync.Once
	arrived *sync.WaitGroup
}

func (s *raceStore) AccountByEmail(ctx context.Context, email string) (accounts.Account, error) {
	a, err := s.Store.AccountByEmail(ctx, email)
	s.once.Do(func() {
		s.arrived.Done()
		s.arrived.Wait()
	})
	return a, err
}

// TestBackOfficeStartedTogether: two instances started together on a
// fresh PostgreSQL database both create the owner (HPP_ADMIN_EMAIL's, or
// the sandbox's demo owner); the one whose insert loses finds the account
// made and starts, as the README's "unless that email has an account"
// says (it stopped with "an account with this email exists"). Both print
// the same demo password.
func TestBackOfficeStartedTogether(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "admin-password")
	if err := os.WriteFile(pwFile, []byte("a long enough owner password"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string]map[string]string{
		"HPP_ADMIN_EMAIL": {"HPP_SANDBOX_DEMO_OWNER": "off", "HPP_ADMIN_EMAIL": "owner@shop.example", "HPP_ADMIN_PASSWORD_FILE": pwFile},
		"demo owner":      {},
	} {
		t.Run(name, func(t *testing.T) {
			env["HPP_DATABASE"] = pgtest.Schema(t)
			cfg, err := config.Load(fakeEnv(env))
			if err != nil {
				t.Fatal(err)
			}
			h := hub.New()
			defer h.Close()
			var arrived sync.WaitGroup
			arrived.Add(2)
			notes, errs := make([][]string, 2), make([]error, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				st, err := storage.Open(t.Context(), cfg.Database, "HPP_DATABASE", h, slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				wg.Go(func() {
					_, notes[i], errs[i] = backOffice(t.Context(), cfg, &raceStore{Store: st.Store, arrived: &arrived})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("instance %d: back office start-up = %v, want the owner found made", i, err)
				}
			}
			if name == "demo owner" && (len(notes[0]) != 1 || !slices.Equal(notes[0], notes[1])) {
				t.Errorf("start-up lines = %q and %q, want the same demo owner line", notes[0], notes[1])
			}
		})
	}
}

// TestRunCheckConfigDatabaseUnreachable: a PostgreSQL database that
// cannot be reached, refuses the password or does not exist stops
// start-up, and check-config says so too (it said ok and exited 0), as a
// problem naming the setting the URL came from, without the password.
func TestRunCheckConfigDatabaseUnreachable(t *testing.T) {
	good, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	wrongPassword, noDatabase := *good, *good
	wrongPassword.User = url.UserPassword(good.User.Username(), "CANARY-wrong-password")
	noDatabase.Path = "/hpp_no_such_database"
	dbFile := filepath.Join(t.TempDir(), "database-url")
	if err := os.WriteFile(dbFile, []byte("postgres://hpp:CANARY-password@127.0.0.1:1/hpp?sslmode=disable"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ env map[string]string }{
		"wrong password": {map[string]string{"HPP_DATABASE": wrongPassword.String()}},
		"no database":    {map[string]string{"HPP_DATABASE": noDatabase.String()}},
		"no server":      {map[string]string{"HPP_DATABASE_FILE": dbFile}},
	}
	if conn, err := pgx.Connect(t.Context(), wrongPassword.String()); err == nil {
		conn.Close(t.Context())
		t.Log("this server takes any password (pgtest's own cluster trusts local connections): no wrong password to try")
		delete(cases, "wrong password")
	}
	for name, tc := range cases {
		setting := "HPP_DATABASE"
		if tc.env["HPP_DATABASE_FILE"] != "" {
			setting = "HPP_DATABASE_FILE"
		}
		var out strings.Builder
		err := run(t.Context(), []string{"hpp", "check-config"}, fakeEnv(tc.env), &out, io.Discard)
		if err == nil || cli.ExitCode(err) != 1 || !strings.Contains(out.String(), "problem: "+setting+": ") || strings.Contains(out.String(), "ok:") {
			t.Errorf("%s: check-config = %v, want a problem naming %s:\n%s", name, err, setting, out.String())
		}
		if strings.Contains(out.String(), "CANARY") || (err != nil && strings.Contains(err.Error(), "CANARY")) {
			t.Errorf("%s: check-config prints the password:\n%s", name, out.String())
		}
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		env := maps.Clone(tc.env)
		env["HPP_ADDR"] = "127.0.0.1:0"
		if err := run(ctx, []string{"hpp"}, fakeEnv(env), io.Discard, io.Discard); err == nil {
			t.Errorf("%s: start-up = nil, want it to stop", name)
		}
		cancel()
	}
}

// TestSandboxKeysShared: two sandbox instances on one PostgreSQL database
// (or one restarted) use the keys the first start generated: the session
// key, whose derived keys sign the back office's cookie, the checkout's
// socket tokens and the e-receipt links (each process generated its own,
// so a sign-in or a socket token from one instance failed on the other
// and a restart signed everyone out), and the simulated Latipay key, which
// signs the callbacks and the way back; the API key and link secret as
// before. A configured key is kept as it is.
func TestSandboxKeysShared(t *testing.T) {
	database := pgtest.Schema(t)
	h := hub.New()
	defer h.Close()
	instance := func(env map[string]string) config.Config {
		env["HPP_DATABASE"] = database
		cfg, err := config.Load(fakeEnv(env))
		if err != nil {
			t.Fatal(err)
		}
		st, err := storage.Open(t.Context(), cfg.Database, "HPP_DATABASE", h, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := markMode(t.Context(), cfg, st); err != nil {
			t.Fatal(err)
		}
		if err := sandboxKeys(t.Context(), &cfg, st); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	a, b := instance(map[string]string{}), instance(map[string]string{})
	if a.SessionKey == "" || a.SessionKey != b.SessionKey || !bytes.Equal(a.Keys().SessionHash, b.Keys().SessionHash) ||
		!bytes.Equal(a.Keys().SocketToken, b.Keys().SocketToken) {
		t.Error("two sandbox instances on one database have different session keys")
	}
	if a.LatipayKey == "" || a.LatipayKey != b.LatipayKey {
		t.Error("two sandbox instances on one database have different simulated Latipay keys")
	}
	if a.APIKey != b.APIKey || a.LinkSecret != b.LinkSecret {
		t.Error("two sandbox instances on one database have different API keys or link secrets")
	}
	own := strings.Repeat("k", 32)
	if c := instance(map[string]string{"HPP_SESSION_KEY": own}); c.SessionKey.Reveal() != own {
		t.Error("a configured HPP_SESSION_KEY was replaced by the stored one")
	}
}

// TestRunReportsEveryProblem: live settings with a short HPP_API_KEY on a
// database the sandbox has used: start-up and check-config report both
// problems at once (they reported only the key, and the database after
// it was fixed), as the README says every problem is reported at once.
func TestRunReportsEveryProblem(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hpp.db")
	startLines(t, map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE": db,
		"HPP_LOG_LEVEL": "error"})
	live := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999", "HPP_DATABASE": db,
		"HPP_LOG_LEVEL": "error", "HPP_API_KEY": "short", "HPP_SESSION_KEY": "8d2b6f0a4c9e1357bd3f9c1e7a5b2d80",
		"LATIPAY_API_KEY": "7e3a91c5d2f84b6a", "LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001"}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err := run(ctx, []string{"hpp"}, fakeEnv(live), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HPP_API_KEY: must be at least 32") || !strings.Contains(err.Error(), "HPP_DATABASE holds sandbox data") {
		t.Errorf("live start-up with a short key on the sandbox's database = %v, want both problems", err)
	}
	var out strings.Builder
	err = run(ctx, []string{"hpp", "check-config"}, fakeEnv(live), &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "problem: HPP_API_KEY: must be at least 32") || !strings.Contains(out.String(), "problem: HPP_DATABASE holds sandbox data") {
		t.Errorf("check-config with a short key on the sandbox's database = %v, want both problems:\n%s", err, out.String())
	}
}

// TestPaymentWindowCapIsTheAPIs: HPP_PAYMENT_WINDOW's cap is the API's
// longest expires_in (it was accepted up to any length while the API
// refused more than 86400 s).
func TestPaymentWindowCapIsTheAPIs(t *testing.T) {
	if config.MaxPaymentWindow != payments.MaxExpiresIn || payments.MaxExpiresIn != 86400*time.Second {
		t.Errorf("HPP_PAYMENT_WINDOW's cap %v, the API's %v; want both 86400 s", config.MaxPaymentWindow, payments.MaxExpiresIn)
	}
}

// TestFatalErrorIsLogged: with stderr not a terminal (a container), the
// error that stops start-up comes as JSON log lines at level ERROR, one
// per problem, like every other line on stderr (it was plain text among
// the JSON).
func TestFatalErrorIsLogged(t *testing.T) {
	_, errOut, status := hppEnv(t, map[string]string{"HPP_PUBLIC_URL": "ftp://pay.example.com", "HPP_METHODS": "wechat,wechat"})
	if status != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", status, errOut)
	}
	named := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var l struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Level != "ERROR" {
			t.Fatalf("a line of the start-up error is not a JSON log line at ERROR: %q\n%s", line, errOut)
		}
		for _, name := range []string{"HPP_PUBLIC_URL", "HPP_METHODS"} {
			named[name] = named[name] || strings.Contains(l.Msg, name+":")
		}
	}
	if !named["HPP_PUBLIC_URL"] || !named["HPP_METHODS"] {
		t.Errorf("the logged error does not name each bad setting:\n%s", errOut)
	}
}

// TestFatalDatabaseErrorOneLine: a database start-up cannot reach,
// beside another problem, is one log record naming HPP_DATABASE once, in
// start-up's words; the driver's continuation lines (pgx's, one per
// address tried) are folded onto it rather than logged as records of
// their own. check-config prints the same problem on one line too.
func TestFatalDatabaseErrorOneLine(t *testing.T) {
	env := map[string]string{"HPP_DATABASE": "postgres://u:CANARY@127.0.0.1:1/db?connect_timeout=5", "HPP_METHODS": "wechat,wechat"}
	_, errOut, status := hppEnv(t, env)
	if status != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", status, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	var database []string
	for _, line := range lines {
		var l struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Level != "ERROR" {
			t.Fatalf("a line of the start-up error is not a JSON log line at ERROR: %q\n%s", line, errOut)
		}
		if strings.TrimSpace(l.Msg) != l.Msg || strings.Contains(l.Msg, "\n") {
			t.Errorf("a record holds part of a problem: %q", l.Msg)
		}
		if strings.Contains(l.Msg, "HPP_DATABASE") {
			database = append(database, l.Msg)
		}
	}
	if len(lines) != 2 || len(database) != 1 || strings.Count(database[0], "HPP_DATABASE") != 1 ||
		!strings.HasPrefix(database[0], "HPP_DATABASE: cannot read the database: ") || !strings.Contains(database[0], "connection refused") ||
		strings.Contains(errOut, "check-config") || strings.Contains(errOut, "would stop") || strings.Contains(errOut, "CANARY") {
		t.Errorf("start-up's error = %d records, want 2 (HPP_METHODS; HPP_DATABASE named once, in start-up's words, without its password):\n%s", len(lines), errOut)
	}
	out, _, status := hppEnv(t, env, "check-config")
	var problems []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "problem: ") {
			problems = append(problems, line)
		}
		if strings.HasPrefix(line, "\t") {
			t.Errorf("check-config prints a problem over several lines: %q", line)
		}
	}
	if status != 1 || len(problems) != 2 || !strings.HasPrefix(problems[1], "problem: HPP_DATABASE: cannot read the database: ") ||
		strings.Count(problems[1], "HPP_DATABASE") != 1 || !strings.Contains(problems[1], "connection refused") {
		t.Errorf("check-config = %d, problems %q; want HPP_METHODS's and the database's, each on one line, the setting named once:\n%s", status, problems, out)
	}
}

// TestKeyRotation: HPP_API_KEY and HPP_SESSION_KEY take "new,old" (the
// first is current), so a key changes without an outage: the API answers
// 200 to both keys (any other is 401); a session cookie made under the
// old key is still read, and saved again it is made under the new one.
// Each key gets a live key's checks.
func TestKeyRotation(t *testing.T) {
	newAPI, oldAPI := "3f9c1e7a5b2d8064f1a9c3e7d2b6f0a4", "a4c9e1357bd3f9c1e7a5b2d808d2b6f0"
	newSession, oldSession := "8d2b6f0a4c9e1357bd3f9c1e7a5b2d80", "5b2d8064f1a9c3e73f9c1e7ad2b6f0a4"
	env := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE": filepath.Join(t.TempDir(), "hpp.db"), "HPP_LOG_LEVEL": "error",
		"HPP_API_KEY": newAPI + "," + oldAPI, "HPP_SESSION_KEY": newSession + ", " + oldSession,
		"LATIPAY_API_KEY": "7e3a91c5d2f84b6a", "LATIPAY_USER_ID": "U000000001", "LATIPAY_WALLET_NZD": "W000000001"}
	for name, bad := range map[string]string{"HPP_API_KEY": newAPI + ",short", "HPP_SESSION_KEY": newSession + "," + newSession} {
		broken := maps.Clone(env)
		broken[name] = bad
		if _, err := config.Load(fakeEnv(broken)); err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s (a short or repeated old key): Load = %v, want it refused", name, err)
		}
	}
	first, _, _ := startRun(t, env)
	_, rest, _ := strings.Cut(first, "listening on ")
	addr, _, _ := strings.Cut(rest, ",")
	base := "http://" + addr
	for key, want := range map[string]int{newAPI: 200, oldAPI: 200, newSession: 401} {
		req, _ := http.NewRequest("GET", base+"/api/v1/payments", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /api/v1/payments with key %s… = %d, want %d", key[:4], resp.StatusCode, want)
		}
	}

	store := func(keys ...string) sessions.Store { // the shopper's session store under these keys
		e := maps.Clone(env)
		e["HPP_SESSION_KEY"] = strings.Join(keys, ",")
		cfg, err := config.Load(fakeEnv(e))
		if err != nil {
			t.Fatal(err)
		}
		return handlers.NewSessionStore(cfg.Keys().SessionHash, cfg.Keys().SessionBlock, false)
	}
	rec := httptest.NewRecorder()
	sess, _ := store(oldSession).New(httptest.NewRequest("GET", "/", nil), "hpp")
	sess.Values["lang"] = "zh-Hant"
	if err := sess.Save(httptest.NewRequest("GET", "/", nil), rec); err != nil {
		t.Fatal(err)
	}
	oldCookie := rec.Result().Cookies()[0]
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.AddCookie(oldCookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("/")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `<html lang="zh-Hant"`) {
		t.Errorf("GET / with a session cookie made under the old key: not in its language (zh-Hant):\n%.300s", b)
	}
	resp = get("/?lang=en")
	resp.Body.Close()
	var reissued *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "hpp" {
			reissued = c
		}
	}
	if reissued == nil {
		t.Fatal("choosing a language did not save the session again")
	}
	read := func(st sessions.Store) string {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(reissued)
		s, err := st.Get(req, "hpp")
		if err != nil {
			return "(" + err.Error() + ")"
		}
		v, _ := s.Values["lang"].(string)
		return v
	}
	if got := read(store(newSession)); got != "en" {
		t.Errorf("the saved cookie read under the new key alone = %q, want en", got)
	}
	if got := read(store(oldSession)); got == "en" {
		t.Error("the saved cookie was made under the old key")
	}
}
