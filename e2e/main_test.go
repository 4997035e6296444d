package e2e

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
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
// This file is the one place that builds, starts, waits for and stops
// processes: mainBinary builds the binary once per test binary (and once
// per build tag set), runMain starts a process with exactly the
// environment it is given, waits until it answers 200 on its readiness
// URL, captures its output and stops it when the test ends. Every other
// helper (startApp here, secStart, fpStart, multiStart, recipeRun) only
// chooses the environment.
//
// TestMain exports the default binary's path as HPP_E2E_BINARY; a binary
// named by HPP_E2E_BINARY beforehand is used as is.
func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

// buildDir holds the binaries built for this test binary; removed when
// the tests end.
var buildDir string

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hpp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	buildDir = dir
	if os.Getenv("HPP_E2E_BINARY") == "" {
		bin, err := goBuild(".", "")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		os.Setenv("HPP_E2E_BINARY", bin)
	}
	return m.Run()
}

var (
	buildMu sync.Mutex
	builds  = map[string]string{} // package and tags -> binary; guarded by buildMu
)

// shipTags are the Dockerfile's build tags (TestShippedBuildTags).
const shipTags = "nomsgpack"

// goBuild builds package pkg of the module ("." for the binary) with
// tags (comma-separated, "" for none) and shipTags into buildDir,
// statically as the Dockerfile does.
func goBuild(pkg, tags string) (string, error) {
	name := "hpp"
	if pkg != "." {
		name = filepath.Base(pkg)
	}
	args := []string{"build", "-tags", shipTags}
	if tags != "" {
		name += "-" + strings.ReplaceAll(tags, ",", "-")
		args[2] += "," + tags
	}
	bin := filepath.Join(buildDir, name)
	cmd := exec.Command("go", append(args, "-o", bin, pkg)...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -tags %q %s: %v\n%s", tags, pkg, err, out)
	}
	return bin, nil
}

// mainBinary returns the binary built with tags ("" for the default one,
// which TestMain built), building it on first use.
func mainBinary(t testing.TB, tags string) string {
	t.Helper()
	if tags == "" {
		bin := os.Getenv("HPP_E2E_BINARY")
		if bin == "" {
			t.Fatal("HPP_E2E_BINARY is not set: TestMain builds the binary and sets it")
		}
		return bin
	}
	return buildOnce(t, ".", tags)
}

// buildOnce is goBuild, once per package and tags per test binary.
func buildOnce(t testing.TB, pkg, tags string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := pkg + " " + tags
	if bin, ok := builds[key]; ok {
		return bin
	}
	bin, err := goBuild(pkg, tags)
	if err != nil {
		t.Fatal(err)
	}
	builds[key] = bin
	return bin
}

// freeAddr returns a free loopback address (host:port) for a process the
// test starts, which binds it a moment later. It picks below the
// kernel's ephemeral range: a port from ":0" is an ephemeral one, and
// between its release here and the bind, any outgoing connection on the
// machine (the browser's, a client's) may take it as its local port
// ("address already in use", seen under load). Below the range only an
// explicit bind takes a port, and handedOut keeps this process from
// giving one out twice. Where the range starts too low, it falls back
// to ":0".
func freeAddr(t testing.TB) string {
	t.Helper()
	if lo := ephemeralLow(); lo > freeAddrFloor+1000 {
		for range 200 {
			port := freeAddrFloor + rand.IntN(lo-freeAddrFloor)
			if _, dup := handedOut.LoadOrStore(port, true); dup {
				continue
			}
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				continue
			}
			ln.Close()
			return ln.Addr().String()
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// freeAddrFloor is the lowest port freeAddr picks.
const freeAddrFloor = 20000

// handedOut holds the ports freeAddr has given out in this process.
var handedOut sync.Map

// ephemeralLow is the first port of the kernel's ephemeral range
// (Linux's ip_local_port_range), or 0 when it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil {
		return 0
	}
	return lo
}

// envList turns vars into NAME=value entries, sorted by name.
func envList(vars map[string]string) []string {
	var env []string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// noRedirects is an HTTP client that does not follow redirects.
func noRedirects() *http.Client {
	return &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// apiGet is a GET of the merchant API at base+path with key.
func apiGet(base, key, path string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	return req
}

// get sends GET u with User-Agent ua through c and returns the response
// with its body read (and closed).
func get(t testing.TB, c *http.Client, u, ua string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", ua)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// proc is one process a test started: what to run, and its output over
// every run. start may be called again after the process has ended (a
// crash test restarts the binary on the same database).
type proc struct {
	t     testing.TB
	name  string
	bin   string
	args  []string
	env   []string // exactly the environment; nothing is inherited
	ready string   // URL that answers 200 once the process serves; "" for none
	group bool     // run in its own process group and signal the whole group
	// readyVia is the transport for the readiness check (nil: the default).
	readyVia http.RoundTripper

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when the current run has ended
	stdout bytes.Buffer  // guarded by mu
	stderr bytes.Buffer  // guarded by mu
	out    bytes.Buffer  // stdout and stderr interleaved; guarded by mu
}

// runMain starts p (see start) and stops it when the test ends (SIGTERM,
// then SIGKILL), logging its output if the test failed.
func runMain(t testing.TB, p *proc) *proc {
	t.Helper()
	p.t = t
	if p.name == "" {
		p.name = filepath.Base(p.bin)
	}
	t.Cleanup(func() {
		p.kill(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("%s output:\n%s", p.name, p.output())
		}
	})
	p.start()
	return p
}

// start runs the process and waits until p.ready answers 200, failing
// the test if it exits first or is not ready within 15 s.
func (p *proc) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout = p.writer(&p.stdout)
	cmd.Stderr = p.writer(&p.stderr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: p.group}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	if p.ready == "" {
		return
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: p.readyVia}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := c.Get(p.ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			p.t.Fatalf("%s exited before it was ready:\n%s", p.name, p.output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not ready after 15s: %v\n%s", p.name, err, p.output())
		}
	}
}

func (p *proc) writer(own *bytes.Buffer) io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.out.Write(b)
		return own.Write(b)
	})
}

// exited reports whether the current run has ended, and its exit code.
func (p *proc) exited() (bool, int) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	select {
	case <-done:
		return true, cmd.ProcessState.ExitCode()
	default:
		return false, 0
	}
}

// kill sends sig and waits for the process to end, killing it after
// 15 s. It does nothing when the process has already ended.
func (p *proc) kill(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	pid := cmd.Process.Pid
	if p.group {
		pid = -pid
	}
	_ = syscall.Kill(pid, sig)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-done
	}
}

// stop ends the process gracefully (SIGTERM) and waits for it.
func (p *proc) stop() { p.kill(syscall.SIGTERM) }

// output returns everything the process printed, stdout and stderr.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// app is one running instance of the binary in sandbox mode.
type app struct {
	*proc
	URL      string // public URL, http://127.0.0.1:port
	APIKey   string // the merchant API key printed at start-up
	DemoLink string // the ready-made checkout link printed in sandbox mode
	DB       string // the SQLite file

	client *http.Client // does not follow redirects
}

// startApp starts the binary in sandbox mode on a free loopback port with
// its own database and HPP_PUBLIC_URL matching, waits for /healthz and
// reads the API key and demo link it prints. env adds or overrides
// variables; nothing is inherited from the test's environment but PATH
// and HOME. The app is stopped (SIGTERM, then SIGKILL) when t ends.
func startApp(t testing.TB, env map[string]string) *app {
	t.Helper()
	addr := freeAddr(t)
	return startAppAt(t, addr, "http://"+addr, nil, env)
}

// startAppAt is startApp listening on addr with url as its public URL,
// reached through transport (nil for the default one): the TLS tests
// serve https with a certificate of their own CA.
func startAppAt(t testing.TB, addr, url string, transport http.RoundTripper, env map[string]string) *app {
	t.Helper()
	return startBinAt(t, mainBinary(t, ""), addr, url, transport, env)
}

// startBinAt is startAppAt running bin, a build of the binary with test
// tags (mainBinary).
func startBinAt(t testing.TB, bin, addr, url string, transport http.RoundTripper, env map[string]string) *app {
	t.Helper()
	a := &app{URL: url, DB: filepath.Join(t.TempDir(), "hpp.db"), client: noRedirects()}
	a.client.Transport = transport
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
	a.proc = runMain(t, &proc{name: "app", bin: bin, env: envList(vars), ready: a.URL + "/healthz", readyVia: transport})
	t.Cleanup(func() { a.Stop(t) }) // runs before runMain's: a slow stop is an error
	a.APIKey = a.printed(t, "demo merchant API key: ", env["HPP_API_KEY"])
	a.DemoLink = a.printed(t, "ready-made checkout link: ", "")
	return a
}

// writerFunc adapts a function to io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

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
	s := strings.TrimSuffix(a.stdout.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Logs returns the JSON log lines (stderr) so far.
func (a *app) Logs() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stderr.String()
}

// Stop ends the app gracefully (SIGTERM), killing it after 10 s. It is
// safe to call more than once.
func (a *app) Stop(t testing.TB) {
	t.Helper()
	a.mu.Lock()
	cmd, done := a.cmd, a.done
	a.mu.Unlock()
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Errorf("app did not stop within 10s of SIGTERM; killing it")
		a.Kill()
	}
}

// Kill ends the app at once (SIGKILL) and waits for it.
func (a *app) Kill() { a.kill(syscall.SIGKILL) }

// Exited reports whether the process has ended, and its exit code.
func (a *app) Exited() (bool, int) { return a.exited() }
