package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/sqlite"
)

// hppRun runs the binary with args and exactly env (PATH and HOME added);
// it returns stdout, stderr and the exit status.
func hppRun(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mainBinary(t, ""), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && (!errors.As(err, &ee) || ctx.Err() != nil) {
		t.Fatalf("hpp %q: %v\n%s%s", args, err, out.String(), errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// soundDB makes an hpp database at path, migrated by this build.
func soundDB(t *testing.T, path string) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	os.Remove(path + ".lock")
}

// execSQL runs statements on the SQLite file at path.
func execSQL(t *testing.T, path, stmts string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmts); err != nil {
		t.Fatal(err)
	}
}

// newerDB makes an hpp database whose schema a later release migrated.
func newerDB(t *testing.T, path string) {
	t.Helper()
	soundDB(t, path)
	execSQL(t, path, `PRAGMA journal_mode=DELETE; INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '099_future.sql', 0)`)
}

// damagedDB makes an hpp database one of whose pages SQLite's
// quick_check reports over several lines ("*** in database main ***",
// then "Tree N page N: btreeInitPage() returns error code 11"): a page's
// type byte is overwritten, page after page until one does.
func damagedDB(t *testing.T, path string) {
	t.Helper()
	soundDB(t, path)
	execSQL(t, path, `PRAGMA journal_mode=DELETE`)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	for page := 1; page < len(good)/pageSize; page++ {
		b := bytes.Clone(good)
		b[page*pageSize] = 0x07 // no b-tree page has this type
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		rows, err := db.Query(`PRAGMA quick_check`)
		for err == nil && rows.Next() {
			var s string
			if rows.Scan(&s) == nil {
				lines = append(lines, s)
			}
		}
		if err == nil {
			err = rows.Err()
			rows.Close()
		}
		db.Close()
		if err == nil && len(lines) > 0 && strings.Contains(lines[0], "\n") {
			return
		}
	}
	t.Fatal("no page whose damage quick_check reports over several lines")
}

// sameFile fails unless the file at path still holds want.
func sameFile(t *testing.T, path string, want []byte, what string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s: the current database changed (%v)", what, err)
	}
}

// TestRestoreRefusesNewerSchema: hpp restore refuses a backup whose
// schema is newer than the program's, as it refuses a file that is not a
// sound hpp database, and leaves the current database as it was: before,
// it said "restored" and start-up then refused the database.
func TestRestoreRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	current, backup := filepath.Join(dir, "hpp.db"), filepath.Join(dir, "from-later-release.db")
	soundDB(t, current)
	newerDB(t, backup)
	before, err := os.ReadFile(current)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, status := hppRun(t, map[string]string{"HPP_DATABASE": current}, "restore", backup)
	if status != 1 || strings.Contains(out, "restored") || !strings.Contains(errOut, "newer than this program's") ||
		!strings.Contains(errOut, "not a sound backup") {
		t.Errorf("hpp restore of a newer schema = %d, want 1 and a refusal naming the newer schema:\n%s%s", status, out, errOut)
	}
	sameFile(t, current, before, "restore refused")
	if kept, _ := filepath.Glob(current + ".replaced-*"); len(kept) > 0 {
		t.Errorf("a refused restore moved the current database aside: %q", kept)
	}
}

// TestCheckConfigChecksDatabase: hpp check-config exits 1, saying why,
// for each SQLite database start-up refuses (another program's tables, a
// damaged file, a newer schema, a directory that does not exist), and
// never creates or migrates one: a database file not there yet, in a
// directory this user may write to, is fine and is still not there
// afterwards. Before, it said "ok: the app would start" for all of them.
func TestCheckConfigChecksDatabase(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "crm.db")
	execSQL(t, foreign, `CREATE TABLE contacts (id INTEGER PRIMARY KEY)`)
	damaged, newer := filepath.Join(dir, "damaged.db"), filepath.Join(dir, "newer.db")
	damagedDB(t, damaged)
	newerDB(t, newer)
	for path, want := range map[string]string{
		foreign:                                 "another program's tables (contacts)",
		damaged:                                 "damaged",
		newer:                                   "newer than this program's",
		filepath.Join(dir, "missing", "hpp.db"): "no directory",
	} {
		before, _ := os.ReadFile(path)
		out, errOut, status := hppRun(t, map[string]string{"HPP_DATABASE": path}, "check-config")
		if status != 1 || strings.Contains(out, "ok:") || !strings.Contains(out, "problem: HPP_DATABASE") || !strings.Contains(out, want) {
			t.Errorf("check-config with HPP_DATABASE=%s = %d, want 1 and a problem saying %q:\n%s%s", path, status, want, out, errOut)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("check-config changed %s", path)
		}
		noSideFiles(t, path, "check-config")
		// Start-up refuses it alike.
		_, errOut, status = hppRun(t, map[string]string{"HPP_DATABASE": path, "HPP_ADDR": "127.0.0.1:0"})
		if status != 1 || !strings.Contains(errOut, "HPP_DATABASE") {
			t.Errorf("start-up with HPP_DATABASE=%s = %d, want it refused:\n%s", path, status, errOut)
		}
	}
	fresh := filepath.Join(dir, "new", "hpp.db")
	if err := os.Mkdir(filepath.Dir(fresh), 0o700); err != nil {
		t.Fatal(err)
	}
	out, errOut, status := hppRun(t, map[string]string{"HPP_DATABASE": fresh}, "check-config")
	if status != 0 || !strings.Contains(out, "ok: the app would start") {
		t.Errorf("check-config with a database not created yet = %d, want 0:\n%s%s", status, out, errOut)
	}
	if left, _ := os.ReadDir(filepath.Dir(fresh)); len(left) > 0 {
		t.Errorf("check-config created %v; it must not create the database", left)
	}
	// A sound database in WAL mode, the server stopped: SQLite creates
	// -wal and -shm for a read-only connection too, and they stayed.
	sound := filepath.Join(t.TempDir(), "hpp.db")
	soundDB(t, sound)
	out, errOut, status = hppRun(t, map[string]string{"HPP_DATABASE": sound}, "check-config")
	if status != 0 || !strings.Contains(out, "ok: the app would start") {
		t.Errorf("check-config with a sound database = %d, want 0:\n%s%s", status, out, errOut)
	}
	noSideFiles(t, sound, "check-config")
}

// noSideFiles fails unless the database at path is alone in its
// directory: no -wal, -shm or .lock left by the command what.
func noSideFiles(t *testing.T, path, what string) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), filepath.Base(path)) && e.Name() != filepath.Base(path) {
			t.Errorf("%s on %s left %s beside it", what, filepath.Base(path), e.Name())
		}
	}
}

// TestAdminRefusesWhatStartupRefuses: hpp admin on a SQLite file that is
// not a sound hpp database of this release (another program's tables, a
// newer schema) refuses, as check-config does, and changes nothing:
// before, it refused only after switching the file to WAL and leaving a
// lock file beside it, and told the operator to use a new file, which has
// no sessions to end. On a sound database it leaves no lock file of its
// own; while the server runs, check-config leaves the server's -wal and
// -shm alone.
func TestAdminRefusesWhatStartupRefuses(t *testing.T) {
	dir := t.TempDir()
	foreign, newer := filepath.Join(dir, "crm", "crm.db"), filepath.Join(dir, "newer", "hpp.db")
	for _, d := range []string{filepath.Dir(foreign), filepath.Dir(newer)} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	execSQL(t, foreign, `CREATE TABLE contacts (id INTEGER PRIMARY KEY)`)
	newerDB(t, newer)
	for path, want := range map[string]string{
		foreign: `HPP_DATABASE \"` + foreign + `\" (SQLite file) holds another program's tables (contacts), not the server's database: point HPP_DATABASE at the file the server runs on`,
		newer:   "newer than this program's",
	} {
		before, _ := os.ReadFile(path)
		for _, args := range [][]string{{"admin", "end-sessions"}, {"admin", "reset-password", "owner@shop.example"}} {
			out, errOut, status := hppRun(t, map[string]string{"HPP_DATABASE": path}, args...)
			if status != 1 || !strings.Contains(errOut, want) || strings.Contains(errOut, "new file") || strings.Contains(out, "ended") {
				t.Errorf("hpp %s on %s = %d, want 1 and %q:\n%s%s", strings.Join(args, " "), path, status, want, out, errOut)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Errorf("hpp %s changed %s (its journal mode?)", strings.Join(args, " "), path)
			}
			noSideFiles(t, path, "hpp "+strings.Join(args, " "))
		}
	}
	sound := filepath.Join(t.TempDir(), "hpp.db")
	soundDB(t, sound)
	if out, errOut, status := hppRun(t, map[string]string{"HPP_DATABASE": sound}, "admin", "end-sessions"); status != 0 {
		t.Errorf("hpp admin end-sessions on a sound database = %d:\n%s%s", status, out, errOut)
	}
	noSideFiles(t, sound, "hpp admin end-sessions")

	a := startApp(t, nil)
	if out, errOut, status := hppRun(t, map[string]string{"HPP_DATABASE": a.DB}, "check-config"); status != 0 {
		t.Errorf("check-config while the server runs = %d:\n%s%s", status, out, errOut)
	}
	for _, side := range []string{"-wal", "-shm", ".lock"} {
		if _, err := os.Stat(a.DB + side); err != nil {
			t.Errorf("check-config while the server runs removed its %s: %v", side, err)
		}
	}
	a.send(t, "GET", "/healthz", nil, nil, 200)
}

// TestDamagedDatabaseOneLogLine: start-up on a damaged database stops
// with one JSON log line for it, SQLite's report of several lines folded
// into it: before, its second line was a record of its own ("Tree 4 page
// 4: btreeInitPage() returns error code 11)").
func TestDamagedDatabaseOneLogLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	damagedDB(t, path)
	_, errOut, status := hppRun(t, map[string]string{"HPP_DATABASE": path, "HPP_ADDR": "127.0.0.1:0"})
	var damage []string
	for line := range strings.SplitSeq(strings.TrimSpace(errOut), "\n") {
		var l struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("a line of the start-up error is not a JSON log line: %q", line)
			continue
		}
		if l.Level == "ERROR" {
			damage = append(damage, l.Msg)
		}
	}
	if status != 1 || len(damage) != 1 || !strings.Contains(damage[0], "damaged") || !strings.Contains(damage[0], "btreeInitPage") {
		t.Errorf("start-up on a damaged database = %d, %d ERROR records %q, want 1 naming the damage:\n%s", status, len(damage), damage, errOut)
	}
}

// TestOperatorMessages: hpp admin on a database the server runs on says
// to stop the server first (not to run several instances on
// PostgreSQL), and hpp backup with an empty file name says that the name
// is empty (not "cannot write : no such file or directory").
func TestOperatorMessages(t *testing.T) {
	a := startApp(t, nil)
	for _, args := range [][]string{{"admin", "end-sessions"}, {"admin", "reset-password", "owner@demo.test"}} {
		out, errOut, status := hppRun(t, map[string]string{"HPP_DATABASE": a.DB}, args...)
		if status != 1 || !strings.Contains(errOut, "stop the server first") || strings.Contains(errOut, "run several instances") {
			t.Errorf("hpp %s while the server runs = %d, want 1 and \"stop the server first\":\n%s%s", strings.Join(args, " "), status, out, errOut)
		}
	}
	for _, cmd := range []string{"backup", "restore"} {
		out, errOut, status := hppRun(t, map[string]string{"HPP_DATABASE": a.DB}, cmd, "")
		if status == 0 || !strings.Contains(errOut, "file name is empty") || strings.Contains(errOut, "cannot write :") {
			t.Errorf("hpp %s '' = %d, want a refusal saying the file name is empty:\n%s%s", cmd, status, out, errOut)
		}
	}
}

// TestCheckConfigMissingDirectoryNamesSetting: a database path in a
// directory that does not exist is refused with advice naming the
// setting it came from: HPP_DATABASE_FILE's file was blamed on
// HPP_DATABASE ("point HPP_DATABASE at one that exists").
func TestCheckConfigMissingDirectoryNamesSetting(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing", "hpp.db")
	named := filepath.Join(dir, "database")
	if err := os.WriteFile(named, []byte(missing), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env     map[string]string
		setting string
	}{
		{map[string]string{"HPP_DATABASE_FILE": named}, "HPP_DATABASE_FILE"},
		{map[string]string{"HPP_DATABASE": missing}, "HPP_DATABASE"},
	} {
		out, errOut, status := hppRun(t, tc.env, "check-config")
		want := "problem: " + tc.setting + ` "` + missing + `" (SQLite file): sqlite: no directory ` + filepath.Dir(missing) +
			" to create the database in: create it, or point " + tc.setting + " at a file in a directory that exists"
		if status != 1 || !strings.Contains(out, want) {
			t.Errorf("check-config with %s naming a missing directory = %d, want 1 and %q:\n%s%s", tc.setting, status, want, out, errOut)
		}
	}
}

// TestReadOnlyFolderSameMessage: a database whose folder cannot be
// written (a read-only volume) stops start-up, and check-config reports
// it, in the same words naming the folder, instead of SQLite's "unable to
// open database file (14)". The binary runs as an unprivileged user
// (nobody, when the test runs as root, which writes anywhere).
func TestReadOnlyFolderSameMessage(t *testing.T) {
	base, err := os.MkdirTemp("", "hpp-ro-")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "data")
	db := filepath.Join(dir, "hpp.db")
	t.Cleanup(func() { os.Chmod(dir, 0o700); os.RemoveAll(base) })
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	soundDB(t, db)
	// A copy of the binary the unprivileged user may run (the build's
	// folder is the test user's alone).
	bin := filepath.Join(base, "hpp")
	b, err := os.ReadFile(mainBinary(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
		filepath.WalkDir(base, func(p string, _ fs.DirEntry, _ error) error { return os.Chown(p, 65534, 65534) })
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + base, "HPP_DATABASE=" + db,
			"HPP_ADDR=" + freeAddr(t), "HPP_LOG_LEVEL=error"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState == nil {
			t.Fatalf("hpp %q: %v", args, err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	want := "sqlite: cannot write in the database's folder " + dir + " ("
	startOut, startStatus := run()
	checkOut, checkStatus := run("check-config")
	if startStatus == 0 || !strings.Contains(startOut, want) {
		t.Errorf("start-up on a read-only folder = %d, want a failure saying %q:\n%s", startStatus, want, startOut)
	}
	if checkStatus != 1 || !strings.Contains(checkOut, want) || strings.Contains(checkOut, "unable to open") {
		t.Errorf("check-config on a read-only folder = %d, want 1 and %q:\n%s", checkStatus, want, checkOut)
	}
}

// hppOnTerminal is hppRun with the binary's output on a terminal (a
// pseudo-terminal from util-linux's script(1)), so its log lines are
// text; it returns that output, its lines without the terminal's \r.
func hppOnTerminal(t *testing.T, env map[string]string, args ...string) (string, int) {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatalf("script(1) from util-linux is needed: %v", err)
	}
	command := "'" + mainBinary(t, "") + "'"
	for _, a := range args {
		command += " '" + a + "'"
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "-q", "-e", "-c", command, "/dev/null")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && (!errors.As(err, &ee) || ctx.Err() != nil) {
		t.Fatalf("hpp %q on a terminal: %v\n%s", args, err, out)
	}
	return strings.ReplaceAll(string(out), "\r", ""), cmd.ProcessState.ExitCode()
}

// errorRecords returns the messages of stderr's JSON log records at
// ERROR, failing on a line that is not a JSON log record.
func errorRecords(t *testing.T, stderr string) []string {
	t.Helper()
	var msgs []string
	for line := range strings.SplitSeq(strings.TrimSpace(stderr), "\n") {
		var l struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("a line of the error is not a JSON log record: %q", line)
			continue
		}
		if l.Level == "ERROR" {
			msgs = append(msgs, l.Msg)
		}
	}
	return msgs
}

// TestRestoreDamagedBackupOneRecord: hpp restore of a damaged backup
// says so in one log record, SQLite's integrity_check report (several
// lines: "*** in database main ***", then the page at fault) folded into
// it: before, its second line was an ERROR record of its own, saying
// nothing of a restore. On a terminal it is one line.
func TestRestoreDamagedBackupOneRecord(t *testing.T) {
	dir := t.TempDir()
	current, backup := filepath.Join(dir, "hpp.db"), filepath.Join(dir, "damaged-backup.db")
	soundDB(t, current)
	damagedDB(t, backup)
	env := map[string]string{"HPP_DATABASE": current}
	want := "restore: " + backup + " is not a sound backup: integrity_check: *** in database main ***; "
	_, errOut, status := hppRun(t, env, "restore", backup)
	records := errorRecords(t, errOut)
	if status != 1 || len(records) != 1 || !strings.HasPrefix(records[0], want) || !strings.Contains(records[0], "page") {
		t.Errorf("hpp restore of a damaged backup = %d, %d ERROR records %q; want 1 starting %q with the page at fault:\n%s",
			status, len(records), records, want, errOut)
	}
	out, status := hppOnTerminal(t, env, "restore", backup)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if status != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "hpp: "+want) {
		t.Errorf("hpp restore of a damaged backup on a terminal = %d, %d lines; want one starting %q:\n%s", status, len(lines), "hpp: "+want, out)
	}
}

// TestConfigProblemsEachSayConfig: each problem that stops start-up is
// a log record of its own that says what it is about: "config: " and
// the setting, in JSON and on a terminal alike. Before, only the first
// record (or line) started "config: ".
func TestConfigProblemsEachSayConfig(t *testing.T) {
	env := map[string]string{"HPP_DATABASE": filepath.Join(t.TempDir(), "hpp.db"), "HPP_ADDR": "127.0.0.1:0",
		"HPP_LOG_LEVEL": "loud", "HPP_METHODS": "wechat,wechat", "HPP_SESSION_KEY_FILE": filepath.Join(t.TempDir(), "missing")}
	want := []string{"config: HPP_SESSION_KEY_FILE: ", "config: HPP_LOG_LEVEL: ", "config: HPP_METHODS: "}
	_, errOut, status := hppRun(t, env)
	records := errorRecords(t, errOut)
	if status != 1 || len(records) != len(want) {
		t.Fatalf("start-up with %d bad settings = %d, %d ERROR records:\n%s", len(want), status, len(records), errOut)
	}
	for i, r := range records {
		if !strings.HasPrefix(r, want[i]) {
			t.Errorf("ERROR record %d = %q, want it to start %q", i, r, want[i])
		}
	}
	out, status := hppOnTerminal(t, env)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if status != 1 || len(lines) != len(want) {
		t.Fatalf("start-up on a terminal with %d bad settings = %d, %d lines:\n%s", len(want), status, len(lines), out)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "hpp: "+want[i]) {
			t.Errorf("terminal line %d = %q, want it to start %q", i, l, "hpp: "+want[i])
		}
	}
}
