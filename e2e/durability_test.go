package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/paymentstest/needs"
)

// TestDurability is test 57, "sent implies durable", without LazyFS: the
// syscalls are observed instead of a filesystem that drops them. The real
// binary runs in live mode against the simulator, under
// strace -f -y (every write, pwrite64, fsync and fdatasync, with the file
// or socket behind each descriptor, and the socket reads and writes with
// their bytes). Payments are paid one after another; after each callback
// acknowledged with "sent", the log must show, on the socket that carried
// it:
//
//   - the callback request read, then at least one write to the WAL (the
//     effect was written during this exchange, not before it and not
//     after the acknowledgement);
//   - for the WAL and the main database file alike, the last write that
//     started before "sent" was written is followed by an fsync or
//     fdatasync of that file which started after that write ended and
//     ended before "sent" was written.
//
// That is LazyFS's property at the syscall level: when "sent" leaves, no
// write it depends on is still only in the page cache. Group commit
// (payments/sqlite/batch.go) may cover several callbacks with one fsync;
// the rule is per "sent" and allows that. The payments are paid one at a
// time and the reconciler is slowed to an hour so that no other
// transaction's writes fall between a commit and its "sent".
//
// The main database file is written only by WAL checkpoints, which run on
// a goroutine and connection of their own (payments/sqlite/checkpoint.go)
// once 8,000 frames wait: this test's few payments stay far below that, so
// the rule above holds for that file too. A checkpoint in flight when a
// "sent" leaves would not weaken durability: it copies frames whose commit
// was already fsynced in the WAL (the rule checked here), and SQLite
// fsyncs the database file before it records them as copied and before
// any WAL frame is written over.
//
// The "normal_control" subtest runs a binary built with the durabilitytest
// tag (payments/sqlite/durability_normal.go: synchronous=NORMAL) through
// the same steps, and the checker must report the unsynced WAL writes:
// proof that it can see the bug.
//
// Both also SIGKILL the process right after some "sent" and restart it:
// every acknowledged payment must still be paid. That check alone proves
// little (the OS page cache survives a process kill, so it passes with
// NORMAL too, as the control shows); the ordering in the strace log is the
// proof. Its limit: it shows fsync completing before the acknowledgement,
// not what the disk does with its own cache after fsync returns.
func TestDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary under strace: skipped with -short")
	}
	strace := durStrace(t)
	t.Run("full", func(t *testing.T) {
		r := durRun(t, strace, mainBinary(t, ""), 30, map[int]bool{9: true, 19: true})
		if len(r.sents) < r.acked {
			t.Errorf("the trace shows %d \"sent\" responses, want at least %d (one per acknowledged callback)", len(r.sents), r.acked)
		}
		for _, v := range r.violations {
			t.Error(v)
		}
		t.Logf("%d payments acknowledged, %d \"sent\" checked in %d traces, %d WAL writes, %d WAL syncs, %d violations",
			r.acked, len(r.sents), r.traces, r.walWrites, r.walSyncs, len(r.violations))
	})
	t.Run("normal_control", func(t *testing.T) {
		r := durRun(t, strace, durBuild(t), 8, nil)
		if len(r.sents) < r.acked {
			t.Errorf("the trace shows %d \"sent\" responses, want at least %d", len(r.sents), r.acked)
		}
		if len(r.violations) == 0 {
			t.Errorf("synchronous=NORMAL: the checker found no \"sent\" ahead of a WAL fsync; it cannot see the bug")
		}
		t.Logf("synchronous=NORMAL: %d \"sent\" checked, %d violations (expected), e.g. %s",
			len(r.sents), len(r.violations), firstOr(r.violations, "none"))
	})
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}

// durStrace returns the path of strace, or skips the test when it is
// missing (fails when CI=true: .ci/run installs it).
func durStrace(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("strace")
	if err != nil {
		needs.Missing(t, "strace (TestDurability)", "apt-get install -y strace")
	}
	return p
}

// durBuild is the binary built with the durabilitytest tag:
// synchronous=NORMAL, for the negative control only.
func durBuild(t testing.TB) string { return mainBinary(t, "durabilitytest") }

// durResult is what one run saw.
type durResult struct {
	acked               int        // callbacks the simulator saw acknowledged
	traces              int        // strace logs (one per process run)
	sents               []durEvent // "sent" responses found in the logs
	walWrites, walSyncs int
	violations          []string
}

// durRun starts bin under strace, creates n payments with a QR each, then
// pays them one at a time, waiting for each callback to be acknowledged.
// After the payments whose index is in killAfter, and after the last one,
// the process is SIGKILLed at once and restarted (under strace again, with
// a new log). At the end every acknowledged payment must be paid, and the
// logs are checked.
func durRun(t *testing.T, strace, bin string, n int, killAfter map[int]bool) durResult {
	t.Helper()
	dir := t.TempDir()
	trace := filepath.Join(dir, "strace.log")
	wrapper := filepath.Join(dir, "hpp-strace")
	// -f: all threads; -y: the path behind each descriptor; -s 512: enough of
	// each buffer for the HTTP request line and the whole "sent" response.
	script := fmt.Sprintf("#!/bin/sh\nexec %q -f -tt -y -s 512 -o %q -e trace=read,write,writev,pwrite64,pwritev,pwritev2,fsync,fdatasync,sync_file_range,sendto,sendmsg,recvfrom %q\n",
		strace, trace, bin)
	if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	sim := secNewSim(t, 100*time.Millisecond)
	app := fpStart(t, wrapper, sim, dir, "HPP_RECONCILE_INTERVAL=1h")
	t.Cleanup(func() { // before fpStart's SIGTERM, which would reach strace only
		if app.bin == wrapper {
			if err := durKill(app); err != nil {
				t.Error(err)
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var refs []string
	for i := range n {
		_, ref := app.createQR(t, ctx, sim, fmt.Sprintf("DUR-%03d", i))
		refs = append(refs, ref)
	}
	ids := map[string]string{} // merchant reference -> payment id
	for _, tx := range sim.Ledger() {
		ids[tx.MerchantReference] = paymentOf(tx)
	}

	var logs []string
	rotate := func() {
		t.Helper()
		next := fmt.Sprintf("%s.%d", trace, len(logs))
		if err := os.Rename(trace, next); err != nil {
			t.Fatalf("strace log: %v", err)
		}
		logs = append(logs, next)
	}
	r := durResult{}
	for i, ref := range refs {
		if err := sim.Pay(ref); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the callback of "+ref+" to be acknowledged", func() bool {
			tx, _ := sim.Transaction(ref)
			return tx.CallbacksAcked
		})
		r.acked++
		if killAfter[i] || i == len(refs)-1 {
			if err := durKill(app); err != nil {
				t.Fatal(err)
			}
			rotate()
			if i == len(refs)-1 {
				app.bin = bin // the last run checks the database, untraced
			}
			app.start()
		}
	}

	// Every acknowledged payment survived the kills.
	for _, ref := range refs {
		sp, err := app.get(ctx, ids[ref])
		if err != nil || sp.Status != "paid" {
			t.Errorf("payment %s (%s) after SIGKILL and restart = %+v, %v; want paid", ids[ref], ref, sp, err)
		}
	}

	r.traces = len(logs)
	for _, l := range logs {
		evs, err := durParse(l)
		if err != nil {
			t.Fatal(err)
		}
		c := durCheck(evs, filepath.Join(dir, "hpp.db"))
		r.sents = append(r.sents, c.sents...)
		r.walWrites += c.walWrites
		r.walSyncs += c.walSyncs
		for _, v := range c.violations {
			r.violations = append(r.violations, filepath.Base(l)+": "+v)
		}
	}
	if t.Failed() {
		t.Logf("hpp output (tail):\n%s", tail(app.output(), 3000))
	}
	return r
}

// durKill SIGKILLs the traced binary (strace's child), so that it dies at
// once, and waits for strace to write its log and exit. Killing strace
// instead would leave the binary running, detached, holding the output
// pipe that secProc waits on.
func durKill(app *secProc) error {
	app.mu.Lock()
	cmd, done := app.cmd, app.done
	app.mu.Unlock()
	select {
	case <-done:
		return nil
	default:
	}
	pid := cmd.Process.Pid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return fmt.Errorf("children of strace: %w", err)
	}
	for _, f := range strings.Fields(string(b)) {
		child, err := strconv.Atoi(f)
		if err != nil {
			return fmt.Errorf("children of strace: %q", b)
		}
		if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
			return fmt.Errorf("kill %d: %w", child, err)
		}
	}
	select {
	case <-done:
		return nil
	case <-time.After(15 * time.Second):
		return errors.New("strace did not exit after its child was killed")
	}
}

// durEvent is one completed syscall from the log. entry and exit are line
// numbers: a call that strace printed as <unfinished ...> and later
// resumed has entry < exit. Line order is the order in which strace saw
// the calls start and end.
type durEvent struct {
	entry, exit int
	call        string // write, pwrite64, fdatasync, read, ...
	path        string // what the first argument's descriptor names (-y)
	data        string // the bytes captured (unescaped), for reads and writes
	ret         int64  // return value; -1 on error
}

var (
	durLine   = regexp.MustCompile(`^(\d+)\s+\d\d:\d\d:\d\d\.\d+\s+(.*)$`)
	durResume = regexp.MustCompile(`^<\.\.\. (\w+) resumed>(.*)$`)
	durCall   = regexp.MustCompile(`^(\w+)\((\d+)<([^>]*)>(.*)\)\s+=\s+(-?\d+)`)
)

// durParse reads an strace -f -tt -y log.
func durParse(path string) ([]durEvent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type pending struct {
		text  string
		entry int
	}
	open := map[string]pending{} // by thread id
	var evs []durEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 0; sc.Scan(); n++ {
		m := durLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		tid, rest := m[1], m[2]
		entry := n
		if r := durResume.FindStringSubmatch(rest); r != nil {
			p, ok := open[tid]
			if !ok {
				continue
			}
			delete(open, tid)
			rest, entry = p.text+r[2], p.entry
		} else if s, ok := strings.CutSuffix(rest, " <unfinished ...>"); ok {
			open[tid] = pending{text: s, entry: n}
			continue
		}
		c := durCall.FindStringSubmatch(rest)
		if c == nil {
			continue // signals, exits, calls on no descriptor
		}
		ret, _ := strconv.ParseInt(c[5], 10, 64)
		evs = append(evs, durEvent{entry: entry, exit: n, call: c[1], path: c[3], data: durStrings(c[4]), ret: ret})
	}
	return evs, sc.Err()
}

// durStrings unescapes and concatenates the quoted strings of an strace
// argument list (one for write and pwrite64, one per iovec for writev).
func durStrings(args string) string {
	var b strings.Builder
	for i := 0; i < len(args); i++ {
		if args[i] != '"' {
			continue
		}
		for i++; i < len(args) && args[i] != '"'; i++ {
			if args[i] != '\\' || i+1 >= len(args) {
				b.WriteByte(args[i])
				continue
			}
			i++
			switch c := args[i]; c {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'v':
				b.WriteByte('\v')
			case 'f':
				b.WriteByte('\f')
			case 'x':
				if i+2 < len(args) {
					if v, err := strconv.ParseUint(args[i+1:i+3], 16, 8); err == nil {
						b.WriteByte(byte(v))
						i += 2
					}
				}
			default:
				if c >= '0' && c <= '7' {
					j := i
					for j < len(args) && j < i+3 && args[j] >= '0' && args[j] <= '7' {
						j++
					}
					v, _ := strconv.ParseUint(args[i:j], 8, 8)
					b.WriteByte(byte(v))
					i = j - 1
				} else {
					b.WriteByte(c)
				}
			}
		}
	}
	return b.String()
}

// durChecked is the checker's verdict on one log.
type durChecked struct {
	sents               []durEvent
	walWrites, walSyncs int
	violations          []string
}

// durCheck applies the rule of TestDurability to the events of one log.
// db is the database path; its WAL is db+"-wal".
func durCheck(evs []durEvent, db string) durChecked {
	var c durChecked
	files := []string{db + "-wal", db}
	isWrite := func(e durEvent) bool {
		switch e.call {
		case "write", "writev", "pwrite64", "pwritev", "pwritev2":
			return e.ret > 0
		}
		return false
	}
	isSync := func(e durEvent) bool {
		return (e.call == "fsync" || e.call == "fdatasync" || e.call == "sync_file_range") && e.ret == 0
	}
	for _, e := range evs {
		switch {
		case e.path == files[0] && isWrite(e):
			c.walWrites++
		case e.path == files[0] && isSync(e):
			c.walSyncs++
		}
	}
	request := map[string]int{} // socket -> exit line of its last callback request read
	for _, e := range evs {
		if !strings.HasPrefix(e.path, "socket:") {
			continue
		}
		// Go's server may take the request's first byte in its 1-byte
		// background read while the previous handler on the connection
		// finishes; the rest then arrives as "OST /latipay/callback ...".
		if (e.call == "read" || e.call == "recvfrom") && e.ret > 0 && strings.HasPrefix(strings.TrimPrefix(e.data, "P"), "OST /latipay/callback ") {
			request[e.path] = e.exit
			continue
		}
		if !(isWrite(e) || e.call == "sendto" || e.call == "sendmsg") || !durIsSent(e.data) {
			continue
		}
		c.sents = append(c.sents, e)
		req, ok := request[e.path]
		if !ok {
			c.violations = append(c.violations, fmt.Sprintf("line %d: \"sent\" on %s without a callback request read before it", e.entry+1, e.path))
			continue
		}
		delete(request, e.path)
		// The effect was written during the exchange.
		written := false
		for _, w := range evs {
			if w.path == files[0] && isWrite(w) && w.entry > req && w.exit < e.entry {
				written = true
			}
		}
		if !written {
			c.violations = append(c.violations, fmt.Sprintf("line %d: \"sent\" with no WAL write since the callback request (line %d): acknowledged before the commit", e.entry+1, req+1))
			continue
		}
		// For each file, the last write started before "sent" is fsynced
		// after it ended and before "sent" started.
		for _, file := range files {
			last := -1
			for i, w := range evs {
				if w.path == file && isWrite(w) && w.entry < e.exit {
					last = i
				}
			}
			if last < 0 {
				continue
			}
			w := evs[last]
			synced := false
			for _, s := range evs {
				if s.path == file && isSync(s) && s.entry > w.exit && s.exit < e.entry {
					synced = true
					break
				}
			}
			if !synced {
				c.violations = append(c.violations, fmt.Sprintf("line %d: \"sent\" on %s while %s of %s (line %d) had no fsync after it",
					e.entry+1, e.path, w.call, filepath.Base(file), w.entry+1))
			}
		}
	}
	return c
}

// durIsSent reports whether b is an HTTP 200 response whose body is
// exactly "sent", plain or as one chunk.
func durIsSent(b string) bool {
	if !strings.HasPrefix(b, "HTTP/1.1 200 ") {
		return false
	}
	_, body, ok := strings.Cut(b, "\r\n\r\n")
	if !ok {
		return false
	}
	return body == "sent" || strings.HasPrefix(body, "4\r\nsent\r\n")
}
