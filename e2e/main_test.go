package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The e2e tests are black-box: they run the built binary on a free
// loopback port and talk to it over HTTP and websockets only.
//
// TestMain builds the binary once into a temporary directory and exports
// its path as HPP_E2E_BINARY, which every helper here (startApp, and the
// browser and multi-instance helpers) runs. A binary named by
// HPP_E2E_BINARY beforehand is used as is.
func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Getenv("HPP_E2E_BINARY") == "" {
		dir, err := os.MkdirTemp("", "hpp-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "hpp")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
			return 1
		}
		os.Setenv("HPP_E2E_BINARY", bin)
	}
	return m.Run()
}

// app is one running instance of the binary.
type app struct {
	URL      string // public URL, http://127.0.0.1:port
	APIKey   string // the merchant API key printed at start-up
	DemoLink string // the ready-made checkout link printed in sandbox mode
	DB       string // the SQLite file

	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited
	client *http.Client  // does not follow redirects

	mu     sync.Mutex
	stdout []string     // guarded by mu
	logs   bytes.Buffer // stderr; guarded by mu
}

// startApp starts the binary in sandbox mode on a free loopback port with
// its own database and HPP_PUBLIC_URL matching, waits for /healthz and
// reads the API key and demo link it prints. env adds or overrides
// variables; nothing is inherited from the test's environment but PATH
// and HOME. The app is stopped (SIGTERM, then SIGKILL) when t ends.
func startApp(t testing.TB, env map[string]string) *app {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return startAppAt(t, addr, "http://"+addr, nil, env)
}

// startAppAt is startApp listening on addr with url as its public URL,
// reached through transport (nil for the default one): the TLS tests
// serve https with a certificate of their own CA.
func startAppAt(t testing.TB, addr, url string, transport http.RoundTripper, env map[string]string) *app {
	t.Helper()
	a := &app{URL: url, DB: filepath.Join(t.TempDir(), "hpp.db"), done: make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second, Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	vars := map[string]string{
		"PATH":                          os.Getenv("PATH"),
		"HOME":                          os.Getenv("HOME"),
		"HPP_ADDR":                      addr,
		"HPP_PUBLIC_URL":                a.URL,
		"HPP_DATABASE":                  a.DB,
		"HPP_SANDBOX_CALLBACK_INTERVAL": "100ms",
		"HPP_RECONCILE_INTERVAL":        "500ms",
	}
	maps.Copy(vars, env)
	a.cmd = exec.Command(os.Getenv("HPP_E2E_BINARY"))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		a.cmd.Env = append(a.cmd.Env, k+"="+vars[k])
	}
	out, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	a.cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.logs.Write(p)
	})
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", a.cmd.Path, err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			a.mu.Lock()
			a.stdout = append(a.stdout, sc.Text())
			a.mu.Unlock()
		}
	}()
	go func() {
		<-read // Wait closes the pipe, so read it to the end first
		_ = a.cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(func() {
		a.Stop(t)
		if t.Failed() {
			t.Logf("app stdout:\n%s\napp stderr:\n%s", strings.Join(a.Stdout(), "\n"), a.Logs())
		}
	})
	a.waitHealthy(t)
	a.APIKey = a.printed(t, "demo merchant API key: ", env["HPP_API_KEY"])
	a.DemoLink = a.printed(t, "ready-made checkout link: ", "")
	return a
}

// writerFunc adapts a function to io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

var _ io.Writer = writerFunc(nil)

// waitHealthy polls /healthz until it answers 200.
func (a *app) waitHealthy(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := a.client.Get(a.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-a.done:
			t.Fatalf("app exited before it was healthy:\n%s", a.Logs())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("app not healthy after 15s: %v\n%s", err, a.Logs())
		}
	}
}

// printed returns the rest of the stdout line after prefix, waiting for it
// briefly (the lines are printed before serving starts). def is returned
// when the line never comes and def is not empty.
func (a *app) printed(t testing.TB, prefix, def string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, l := range a.Stdout() {
			if _, v, ok := strings.Cut(l, prefix); ok {
				return strings.TrimSpace(v)
			}
		}
		if def != "" {
			return def
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q line on stdout:\n%s", prefix, strings.Join(a.Stdout(), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stdout returns the lines printed so far.
func (a *app) Stdout() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.stdout)
}

// Logs returns the JSON log lines (stderr) so far.
func (a *app) Logs() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.logs.String()
}

// Stop ends the app gracefully (SIGTERM), killing it after 10 s. It is
// safe to call more than once.
func (a *app) Stop(t testing.TB) {
	t.Helper()
	select {
	case <-a.done:
		return
	default:
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		t.Errorf("app did not stop within 10s of SIGTERM; killing it")
		a.Kill()
	}
}

// Kill ends the app at once (SIGKILL) and waits for it.
func (a *app) Kill() {
	_ = a.cmd.Process.Kill()
	<-a.done
}

// Exited reports whether the process has ended, and its exit code.
func (a *app) Exited() (bool, int) {
	select {
	case <-a.done:
		return true, a.cmd.ProcessState.ExitCode()
	default:
		return false, 0
	}
}
