// Package needs skips a test whose outside program (PostgreSQL, Chromium,
// strace, caddy) is truly absent, and says so once per `go test` run in
// one plain line naming what was skipped and how to get it. Under CI=true
// it fails the test instead: CI must run everything (.ci/run installs it).
//
// It owns the skip-or-fail rule and the closing line; what is missing and
// how to install it is each caller's words. It imports nothing of this
// module (standard library only); pgtest, the e2e tests and any test
// needing an outside program use it. A new outside program: call Missing
// where the test finds it absent, and add its install step to .ci/run.
package needs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Missing skips t (fails it under CI=true) because what is absent; how says
// how to get it, such as "apt-get install -y chromium".
func Missing(t testing.TB, what, how string) {
	t.Helper()
	msg := fmt.Sprintf("%s not found: %s", what, how)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI must run every test)")
	}
	announce(what, how)
	t.Skip(msg)
}

// announce prints "go test: skipped the tests that need WHAT: HOW" once per
// run. `go test ./...` shows a passing package's output only with -v, so
// the line goes to the go command's own standard output when the test
// binary runs under it, and to this process's otherwise.
func announce(what, how string) {
	owner, out := RunOwner(), os.Stdout
	key := strings.ToLower(strings.Fields(what)[0])
	marker := filepath.Join(os.TempDir(), "hpp-skipped-"+strconv.Itoa(owner)+"-"+key)
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return // this run has said it already
	}
	f.Close()
	if owner != os.Getpid() {
		if w, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/1", owner), os.O_WRONLY|os.O_APPEND, 0); err == nil {
			defer w.Close()
			out = w
		}
	}
	fmt.Fprintf(out, "go test: skipped the tests that need %s: %s\n", what, how)
}

// RunOwner is the process that stands for this test run: the go command
// when it runs this test binary (so that the binaries of one `go test
// ./...` share it), else this process.
func RunOwner() int {
	ppid := os.Getppid()
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid)); err == nil && strings.TrimSpace(string(b)) == "go" {
		return ppid
	}
	return os.Getpid()
}
