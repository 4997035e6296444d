package e2e

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/goccy/go-yaml"
	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay"
	"github.com/latipay-hpp/hpp/payments/paymentstest/needs"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// The recipe tests run e2e/README.md's "Running several instances" recipe
// as written, without Docker: they read the compose file from it and
// run what it describes on loopback. Two processes of the built binary get
// exactly the compose file's environment, with only the addresses mapped
// (service hostnames and the Docker network to loopback, PostgreSQL to
// HPP_TEST_POSTGRES) and LATIPAY_API_URL added, pointing at an `hpp
// simulator` process instead of Latipay. Caddy, installed from Debian,
// runs the compose file's Caddyfile with only its upstreams changed, and
// serves HPP_DOMAIN (127.0.0.1:<port>) over HTTPS with its own local CA,
// as it would serve a real domain with a public certificate. A change to
// the recipe in e2e/README.md is a change to what these tests run.

// recipeSection is the section of e2e/README.md holding the recipe.
const recipeSection = "## Running several instances"

// recipeShopper is the loopback address the test's "shopper" and
// "Latipay" connect from, so that the proxy (127.0.0.1) and the client
// can be told apart in the instances' logs.
const recipeShopper = "127.0.0.2"

// recipeCompose is the part of the compose file the tests read.
type recipeCompose struct {
	Services map[string]struct {
		Build       string            `yaml:"build"`
		Image       string            `yaml:"image"`
		Environment map[string]string `yaml:"environment"`
	} `yaml:"services"`
	Configs map[string]struct {
		Content string `yaml:"content"`
	} `yaml:"configs"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet string `yaml:"subnet"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
}

// recipe is e2e/README.md's compose file, parsed.
type recipe struct {
	text    string        // the fenced block, as written
	compose recipeCompose // parsed, before interpolation
	apps    []string      // the services built from this repository, sorted
	proxy   string        // the reverse proxy's service name
}

// recipeRead extracts the compose file from README.md's recipe section
// and parses it.
func recipeRead(t *testing.T) recipe {
	t.Helper()
	sec := readmeSection(t, "README.md", recipeSection, "\n## ")
	_, block, ok := strings.Cut(sec, "\n```yaml\n")
	if !ok {
		t.Fatalf("README.md %q has no ```yaml block", recipeSection)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatalf("README.md %q: the ```yaml block is not closed", recipeSection)
	}
	r := recipe{text: block}
	if err := yaml.Unmarshal([]byte(block), &r.compose); err != nil {
		t.Fatalf("README.md %q: compose file: %v", recipeSection, err)
	}
	for name, s := range r.compose.Services {
		switch {
		case s.Build == ".":
			r.apps = append(r.apps, name)
		case strings.HasPrefix(s.Image, "caddy:"):
			r.proxy = name
		}
	}
	slices.Sort(r.apps)
	if len(r.apps) != 2 || r.proxy == "" {
		t.Fatalf("compose file: want two services built from . and one caddy service; got apps %v, proxy %q", r.apps, r.proxy)
	}
	if _, ok := r.compose.Configs["caddyfile"]; !ok {
		t.Fatal("compose file: no configs.caddyfile")
	}
	return r
}

// recipeVarRE matches what compose interpolates: ${NAME}, and $$ for "$".
var recipeVarRE = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// interpolate does compose's variable substitution with vars (the .env
// file); a variable missing from vars fails t.
func (r recipe) interpolate(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	return recipeVarRE.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		name := m[2 : len(m)-1]
		v, ok := vars[name]
		if !ok {
			t.Fatalf("compose file uses ${%s}, which the test's .env does not set", name)
		}
		return v
	})
}

// env returns the environment compose gives service name, interpolated.
func (r recipe) env(t *testing.T, name string, vars map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for k, v := range r.compose.Services[name].Environment {
		env[k] = r.interpolate(t, v, vars)
	}
	return env
}

// dockerAddr is HPP_ADDR as the Dockerfile sets it for the image.
func dockerAddr(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ENV .*\bHPP_ADDR=(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("Dockerfile sets no HPP_ADDR")
	}
	return string(m[1])
}

// TestRecipeReadme checks the recipe's text against the code without
// running it: every ${VAR} is listed in the .env comment, every setting
// the instances get is one the binary reads, and the Caddyfile reaches the
// instances on the port the image listens on.
func TestRecipeReadme(t *testing.T) {
	r := recipeRead(t)
	var envDoc strings.Builder
	for line := range strings.Lines(r.text) {
		if strings.HasPrefix(line, "#   ") {
			envDoc.WriteString(line)
		}
	}
	for _, m := range recipeVarRE.FindAllStringSubmatch(r.text, -1) {
		if m[1] != "" && !strings.Contains(envDoc.String(), m[1]+"=") {
			t.Errorf("compose file uses ${%s}, but its .env comment does not list %s=", m[1], m[1])
		}
	}
	cfg, err := os.ReadFile("../config/config.go")
	if err != nil {
		t.Fatal(err)
	}
	for k := range r.compose.Services[r.apps[0]].Environment {
		if !strings.Contains(string(cfg), `"`+k+`"`) {
			t.Errorf("compose file sets %s, which config/config.go does not read", k)
		}
	}
	if a, b := r.compose.Services[r.apps[0]].Environment, r.compose.Services[r.apps[1]].Environment; !maps.Equal(a, b) {
		t.Errorf("%s and %s get different settings:\n%v\n%v", r.apps[0], r.apps[1], a, b)
	}
	// The instances trust exactly the network Caddy connects from: not
	// the whole of Docker's default pools, which can be exhausted or
	// changed, and then nobody's address would be trusted.
	var subnets []string
	for _, c := range r.compose.Networks["default"].IPAM.Config {
		subnets = append(subnets, c.Subnet)
	}
	if got := r.compose.Services[r.apps[0]].Environment["HPP_TRUSTED_PROXIES"]; len(subnets) != 1 || got != subnets[0] {
		t.Errorf("HPP_TRUSTED_PROXIES = %q, want the default network's one fixed subnet (have %q)", got, subnets)
	}
	recipeCheckSettings(t, r)
	_, port, err := net.SplitHostPort(dockerAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	caddyfile := r.compose.Configs["caddyfile"].Content
	for _, app := range r.apps {
		if !strings.Contains(caddyfile, " "+app+":"+port) {
			t.Errorf("the Caddyfile does not proxy to %s:%s (the Dockerfile's HPP_ADDR port):\n%s", app, port, caddyfile)
		}
	}
}

// recipeSettingRE matches a setting's name where config reads it;
// recipeSecretRE, a secret's.
var (
	recipeSettingRE = regexp.MustCompile(`"((?:HPP|LATIPAY)_[A-Z_]+)"`)
	recipeSecretRE  = regexp.MustCompile(`r\.(?:secret|keys)\("([A-Z_]+)"\)`)
)

// recipeCheckSettings holds the recipe's table of "the settings that
// matter" to what config reads: every setting is in a row, which says
// what it must be on each instance; every secret but one for each
// instance's own (the owner's password at start-up) is in a row saying the
// same everywhere and set by the compose file, so following the recipe
// leaves none unset or set on one instance only.
func recipeCheckSettings(t *testing.T, r recipe) {
	t.Helper()
	sec := readmeSection(t, "README.md", recipeSection, "\n## ")
	_, table, ok := strings.Cut(sec, "The settings that matter:\n\n")
	if !ok {
		t.Fatal(`README.md's recipe has no "The settings that matter:" table`)
	}
	table, _, _ = strings.Cut(table, "\n\n")
	names := regexp.MustCompile("`([A-Z_*]+)`")
	row := map[string]string{} // name (or prefix*) -> its row
	for line := range strings.Lines(table) {
		cells := strings.Split(line, " | ")
		if len(cells) < 2 || strings.HasPrefix(line, "| ---") {
			continue
		}
		named := cells[0]
		if strings.HasSuffix(named, "each instance's own") {
			named = cells[1]
		}
		for _, m := range names.FindAllStringSubmatch(named, -1) {
			row[m[1]] = line
		}
	}
	find := func(name string) (string, bool) {
		for _, n := range []string{name, strings.TrimSuffix(name, "_FILE"), name + "_FILE"} {
			if v, ok := row[n]; ok {
				return v, true
			}
		}
		for k, v := range row {
			if p, ok := strings.CutSuffix(k, "*"); ok && strings.HasPrefix(name, p) {
				return v, true
			}
		}
		return "", false
	}
	var src strings.Builder
	files, _ := filepath.Glob("../config/*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	for _, m := range recipeSettingRE.FindAllStringSubmatch(src.String(), -1) {
		if _, ok := find(m[1]); !ok {
			t.Errorf("config reads %s, which the recipe's table of the settings that matter does not list", m[1])
		}
	}
	env := r.compose.Services[r.apps[0]].Environment
	for _, m := range recipeSecretRE.FindAllStringSubmatch(src.String(), -1) {
		v, _ := find(m[1])
		if strings.Contains(v, "each instance's own") || strings.Contains(v, "on one instance only") {
			continue
		}
		if !strings.Contains(v, "same") {
			t.Errorf("the secret %s is not in a row of the recipe's table saying it is the same everywhere (%q)", m[1], v)
		}
		if _, ok := env[m[1]]; !ok {
			t.Errorf("the recipe's compose file does not give the instances the secret %s", m[1])
		}
	}
}

// recipeProc is a process the recipe test started, with its output.
type recipeProc = proc

// recipeRun starts bin with exactly env (plus PATH), and stops it with
// SIGTERM (then SIGKILL) when t ends.
func recipeRun(t *testing.T, name string, env map[string]string, bin string, args ...string) *recipeProc {
	t.Helper()
	return runMain(t, &proc{name: name, bin: bin, args: args,
		env: append([]string{"PATH=" + os.Getenv("PATH")}, envList(env)...)})
}

// recipeLogLine is one request as an instance logs it.
type recipeLogLine struct {
	Msg       string `json:"msg"`
	RequestID string `json:"request_id"`
	Path      string `json:"path"`
	Client    string `json:"client"`
}

// requests returns the requests the instance has logged.
func (p *recipeProc) requests() []recipeLogLine {
	var out []recipeLogLine
	sc := bufio.NewScanner(strings.NewReader(p.output()))
	for sc.Scan() {
		var l recipeLogLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "request" {
			out = append(out, l)
		}
	}
	return out
}

// recipePoll calls get until it answers 200 or within passes, failing
// early when one of procs has exited.
func recipePoll(t *testing.T, within time.Duration, what string, get func() (*http.Response, error), procs ...*recipeProc) {
	t.Helper()
	multiWait(t, within, what, func() bool {
		for _, p := range procs {
			select {
			case <-p.done:
				t.Fatalf("%s exited while waiting for %s:\n%s", p.name, what, p.output())
			default:
			}
		}
		resp, err := get()
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestRecipeCompose runs e2e/README.md's multi-instance recipe: PostgreSQL,
// two instances and Caddy, and checks through the proxy that the checkout
// page loads, /healthz and /readyz answer, the websocket upgrades, a
// signed callback landing on one instance reaches a socket held by the
// other, and the instances see the shopper's address, not the proxy's nor
// a forged X-Forwarded-For.
func TestRecipeCompose(t *testing.T) {
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		needs.Missing(t, "caddy (e2e/README.md's multi-instance recipe)", "apt-get install -y caddy")
	}
	db := pgtest.Database(t)
	r := recipeRead(t)
	bin := mainBinary(t, "")
	proxyAddr := freeAddr(t)
	public := "https://" + proxyAddr

	// The .env file. HPP_DOMAIN is the proxy's loopback address: Caddy
	// serves it over HTTPS with a certificate from its local CA.
	dotenv := map[string]string{
		"HPP_DOMAIN":           proxyAddr,
		"POSTGRES_PASSWORD":    "recipe-postgres-password",
		"HPP_SESSION_KEY":      "recipe-session-key-0123456789abcdef0123",
		"HPP_API_KEY":          "recipe-api-key-0123456789abcdef01234567",
		"HPP_LINK_SECRET":      "recipe-link-secret-0123456789abcdef012",
		"HPP_WEBHOOK_SECRET":   "recipe-webhook-secret-0123456789abcdef",
		"HPP_MERCHANT_ORIGINS": "https://shop.example",
		"LATIPAY_USER_ID":      "U000000001",
		"LATIPAY_API_KEY":      "recipe-latipay-key-0123456789abcdef",
		"LATIPAY_WALLET_NZD":   "W000000001",
	}

	// Latipay: a simulator process with the merchant account the compose
	// file gives the instances.
	appEnv := r.env(t, r.apps[0], dotenv)
	simEnv := map[string]string{"HPP_SIM_ADDR": "127.0.0.1:0"}
	for k, v := range appEnv {
		if strings.HasPrefix(k, "LATIPAY_") {
			simEnv[k] = v
		}
	}
	sim := recipeRun(t, "simulator", simEnv, bin, "simulator")
	var simURL string
	multiWait(t, 10*time.Second, "the simulator's address", func() bool {
		_, rest, ok := strings.Cut(sim.output(), "latipaysim: listening on ")
		simURL, _, _ = strings.Cut(rest, "\n")
		return ok && strings.HasSuffix(rest, "\n")
	})

	// Map the compose file's addresses to loopback; nothing else changes.
	pg := r.env(t, "postgres", dotenv)
	wantDB := fmt.Sprintf("postgres://%s:%s@postgres:5432/%s?", pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], pg["POSTGRES_DB"])
	dbURL, ok := strings.CutPrefix(appEnv["HPP_DATABASE"], wantDB)
	if !ok {
		t.Fatalf("HPP_DATABASE = %q, want the postgres service's database %s…", appEnv["HPP_DATABASE"], wantDB)
	}
	testDB, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	params, err := url.ParseQuery(dbURL) // the compose file's parameters, such as sslmode
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range testDB.Query() { // and the test server's that it leaves unset (a socket's host)
		if _, set := params[k]; !set {
			params[k] = v
		}
	}
	testDB.RawQuery = params.Encode()
	if got := appEnv["HPP_PUBLIC_URL"]; got != public {
		t.Fatalf("HPP_PUBLIC_URL = %q, want %q (https://${HPP_DOMAIN})", got, public)
	}
	if _, _, err := net.ParseCIDR(appEnv["HPP_TRUSTED_PROXIES"]); err != nil {
		t.Fatalf("HPP_TRUSTED_PROXIES = %q, want the compose network: %v", appEnv["HPP_TRUSTED_PROXIES"], err)
	}
	gate := multiNewGate(t, testDB.String())
	caddyfile := r.interpolate(t, r.compose.Configs["caddyfile"].Content, dotenv)
	_, port, _ := net.SplitHostPort(dockerAddr(t))
	apps, addrs := map[string]*recipeProc{}, map[string]string{}
	for _, name := range r.apps {
		addr := freeAddr(t)
		addrs[name] = addr
		env := r.env(t, name, dotenv)
		env["HPP_ADDR"] = addr                      // the Dockerfile's ENV HPP_ADDR=:8080
		env["HPP_DATABASE"] = gate.url()            // postgres:5432, through a gate the test can close
		env["HPP_TRUSTED_PROXIES"] = "127.0.0.1/32" // the compose network: where Caddy connects from
		env["LATIPAY_API_URL"] = simURL             // not Latipay itself
		caddyfile = strings.Replace(caddyfile, " "+name+":"+port, " "+addr, 1)
		apps[name] = recipeRun(t, name, env, bin)
	}
	for _, name := range r.apps {
		recipePoll(t, 15*time.Second, name+" /readyz", func() (*http.Response, error) {
			return http.Get("http://" + addrs[name] + "/readyz")
		}, apps[name])
	}

	// Caddy: the compose file's Caddyfile, after a global options block
	// that keeps it to loopback and the test's own directories (no admin
	// endpoint, no port 80, no change to the system's trust store).
	dir := t.TempDir()
	global := fmt.Sprintf("{\n\tadmin off\n\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n"+
		"\tskip_install_trust\n\tauto_https disable_redirects\n}\n", filepath.Join(dir, "data"))
	if err := os.WriteFile(filepath.Join(dir, "Caddyfile"), []byte(global+caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	proxyEnv := r.env(t, r.proxy, dotenv)
	proxyEnv["HOME"], proxyEnv["XDG_DATA_HOME"], proxyEnv["XDG_CONFIG_HOME"] = dir, dir, dir
	proxy := recipeRun(t, "caddy", proxyEnv, caddy, "run", "--adapter", "caddyfile", "--config", filepath.Join(dir, "Caddyfile"))
	rootCA := filepath.Join(dir, "data", "pki", "authorities", "local", "root.crt")
	// Caddy creates the file before it has written it: wait for a
	// certificate in it, not for the file.
	pool := x509.NewCertPool()
	multiWait(t, 15*time.Second, "Caddy's local CA", func() bool {
		pem, err := os.ReadFile(rootCA)
		return err == nil && pool.AppendCertsFromPEM(pem)
	})

	// The shopper (and Latipay) connect from 127.0.0.2 and trust Caddy's CA.
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(recipeShopper)}, Timeout: 5 * time.Second}
	tlsConf := &tls.Config{RootCAs: pool}
	tr := &http.Transport{DialContext: dialer.DialContext, TLSClientConfig: tlsConf.Clone(), ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	s := recipeShop{t: t, client: client, public: public, apiKey: dotenv["HPP_API_KEY"],
		latipayKey: dotenv["LATIPAY_API_KEY"], ws: &websocket.Dialer{NetDialContext: dialer.DialContext,
			TLSClientConfig: tlsConf.Clone(), HandshakeTimeout: 5 * time.Second}}
	procs := append(slices.Collect(maps.Values(apps)), proxy)
	recipePoll(t, 15*time.Second, "/readyz through Caddy", func() (*http.Response, error) { return client.Do(s.get("/readyz")) }, procs...)
	if _, b := s.do(s.get("/healthz"), http.StatusOK); string(b) != "ok" {
		t.Errorf("/healthz through Caddy = %q, want ok", b)
	}

	// The shopper's steps: a payment through the merchant API, a WeChat QR
	// attempt, the checkout page, its socket; and Latipay's callback.
	p1 := s.pay("R-1")

	// Two sockets through Caddy: round robin puts one on each instance.
	// The callback lands on one instance; the logs show that a socket on
	// the other received "paid" too.
	socks := []*websocket.Conn{s.socket(p1), s.socket(p1)}
	for _, c := range socks {
		multiWaitStatus(t, c, "pending")
	}
	start := time.Now()
	callbackID := s.callback(p1)
	for _, c := range socks {
		multiWaitStatus(t, c, "paid")
	}
	t.Logf("callback through Caddy -> both sockets paid after %v", time.Since(start))
	// Back to shop, through Caddy to each instance in turn: every redirect
	// is signed with the compose file's HPP_WEBHOOK_SECRET.
	for i := range 4 {
		resp, _ := s.do(s.get("/checkout/"+p1.ID+"/back"), http.StatusSeeOther)
		back, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if _, st, err := payments.VerifyRedirect(back.Query(), []string{dotenv["HPP_WEBHOOK_SECRET"]}, time.Now(), time.Hour); err != nil || st != payments.StatusPaid {
			t.Errorf("back to shop %d through Caddy to %s: %v, status %q; want signed with HPP_WEBHOOK_SECRET, paid", i+1, back, err, st)
		}
	}
	wsPath := "/checkout/:id/ws"
	wsLogged := func(name string) int { // a socket's request is logged once its handshake is answered
		n := 0
		for _, l := range apps[name].requests() {
			if l.Path == wsPath {
				n++
			}
		}
		return n
	}
	callbackLogged := func() bool { // logged once answered: maybe after the sockets heard paid
		for _, a := range apps {
			for _, l := range a.requests() {
				if l.RequestID == callbackID {
					return true
				}
			}
		}
		return false
	}
	// The server closes a socket after a final state.
	multiWait(t, 5*time.Second, "the sockets' and the callback's requests to be logged", func() bool {
		return wsLogged(r.apps[0])+wsLogged(r.apps[1]) == 2 && callbackLogged()
	})
	callbackOn, socketsOn := "", map[string]int{}
	for name, a := range apps {
		for _, l := range a.requests() {
			if l.RequestID == callbackID {
				callbackOn = name
			}
			if l.Path == wsPath {
				socketsOn[name]++
			}
		}
	}
	if callbackOn == "" {
		t.Fatalf("no instance logged the callback's request id %q", callbackID)
	}
	other := r.apps[0]
	if other == callbackOn {
		other = r.apps[1]
	}
	if socketsOn[other] == 0 {
		t.Errorf("sockets by instance %v, callback on %s: no socket on %s received paid across instances", socketsOn, callbackOn, other)
	}
	t.Logf("callback landed on %s; sockets by instance %v", callbackOn, socketsOn)

	// A rolling restart: SIGTERM one instance while a payment is open. Its
	// socket ends with "going away", the page reconnects through Caddy to
	// the other instance and gets the current state first, and requests
	// through Caddy keep being answered before Caddy's health check has
	// noticed the instance is gone.
	p2 := s.pay("R-2")
	socks = []*websocket.Conn{s.socket(p2), s.socket(p2)}
	closed := make(chan error, len(socks))
	for _, c := range socks {
		multiWaitStatus(t, c, "pending")
		_ = c.SetReadDeadline(time.Time{})
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					closed <- err
					return
				}
			}
		}()
	}
	stopped, live := r.apps[0], r.apps[1]
	liveSockets := wsLogged(live)
	apps[stopped].stop()
	select {
	case err := <-closed:
		// 1001 "going away" is what the instance sends; 1006 (the
		// connection closed without a close frame) when the process
		// exits before its socket goroutines have written it, which
		// main.go's shutdown does not wait for. The page reconnects
		// after either.
		if !websocket.IsCloseError(err, websocket.CloseGoingAway, websocket.CloseAbnormalClosure) {
			t.Errorf("socket on the stopped instance ended with %v, want close 1001 (going away)", err)
		}
		t.Logf("socket on the stopped instance ended with %v", err)
	case <-time.After(10 * time.Second):
		t.Fatalf("no socket ended within 10s of SIGTERM to %s", stopped)
	}
	for i := range 4 {
		resp, err := client.Do(s.get("/healthz"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("request %d through Caddy after SIGTERM to %s = %d, want 200 (Caddy must retry on the other instance)",
				i+1, stopped, resp.StatusCode)
		}
	}
	again := s.socket(p2)
	multiWaitStatus(t, again, "pending")
	s.callback(p2)
	multiWaitStatus(t, again, "paid")
	multiWait(t, 5*time.Second, "the sockets' requests to be logged", func() bool {
		// At least the new socket of p2 (the live instance's earlier
		// sockets were logged when they opened; a reconnect may add one).
		return wsLogged(live) >= liveSockets+1
	})

	// PostgreSQL down: the instances stay behind Caddy (its health check
	// does not take them out for an outage they all share), so for longer
	// than Caddy's health interval and fail duration every request gets
	// the instance's own answer, 503 database_unavailable with
	// Retry-After, never Caddy's empty 503. Back up, the same create
	// succeeds.
	gate.down()
	create := func() (*http.Response, []byte) {
		body, _ := json.Marshal(map[string]any{"amount": "3.20", "currency": "NZD", "reference": "R-DOWN",
			"return_url": "https://shop.example/thanks"})
		req, _ := http.NewRequest(http.MethodPost, s.public+"/api/v1/payments", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.apiKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "recipe-down")
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	for end := time.Now().Add(12 * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
		resp, b := create()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), `"database_unavailable"`) {
			t.Fatalf("a create through Caddy with PostgreSQL down = %d, Retry-After %q: %q; want the instance's 503 database_unavailable",
				resp.StatusCode, resp.Header.Get("Retry-After"), b)
		}
	}
	gate.up()
	multiWait(t, 15*time.Second, "the create to succeed once PostgreSQL is back", func() bool {
		resp, _ := create()
		return resp.StatusCode == http.StatusCreated
	})

	// Client addresses: every request but Caddy's health checks and the
	// test's own wait for each instance's /readyz came from the shopper
	// through Caddy, most with a forged X-Forwarded-For.
	health := regexp.MustCompile(`health_uri (\S+)`).FindStringSubmatch(caddyfile)
	if health == nil {
		t.Fatalf("the Caddyfile has no health_uri:\n%s", caddyfile)
	}
	for name, a := range apps {
		for _, l := range a.requests() {
			if !((l.Path == health[1] || l.Path == "/readyz") && l.Client == "127.0.0.1") && l.Client != recipeShopper {
				t.Errorf("%s logged %s from client %q, want the shopper's %s (HPP_TRUSTED_PROXIES and X-Forwarded-For)",
					name, l.Path, l.Client, recipeShopper)
			}
		}
	}
	// An instance reached directly from an untrusted address ignores
	// X-Forwarded-For.
	req, _ := http.NewRequest(http.MethodGet, "http://"+addrs[live]+"/healthz", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	multiWait(t, 5*time.Second, "the direct request to be logged", func() bool {
		return slices.ContainsFunc(apps[live].requests(), func(l recipeLogLine) bool { return l.RequestID == id })
	})
	for _, l := range apps[live].requests() {
		if l.RequestID == id && l.Client != recipeShopper {
			t.Errorf("direct request with a forged X-Forwarded-For logged client %q, want %s", l.Client, recipeShopper)
		}
	}
}

// recipeShop is the shopper, the merchant and Latipay, all talking to the
// recipe through its public URL (the proxy).
type recipeShop struct {
	t                  *testing.T
	client             *http.Client
	ws                 *websocket.Dialer
	public             string
	apiKey, latipayKey string
}

// recipePayment is a payment with a started WeChat attempt and the
// socket path its checkout page gives.
type recipePayment struct {
	ID, Reference, SocketPath string
}

func (s recipeShop) get(path string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, s.public+path, nil)
	req.Header.Set("User-Agent", multiDesktopUA)
	return req
}

// do sends req, which must be answered want, with a forged
// X-Forwarded-For that the proxy must not pass on as the client.
func (s recipeShop) do(req *http.Request, want int) (*http.Response, []byte) {
	s.t.Helper()
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s = %d, want %d: %s", req.Method, req.URL, resp.StatusCode, want, b)
	}
	return resp, b
}

// pay creates a NZD 12.50 payment, starts a WeChat QR attempt as a desktop
// shopper would, and loads the checkout page.
func (s recipeShop) pay(ref string) recipePayment {
	s.t.Helper()
	t := s.t
	body, _ := json.Marshal(map[string]any{"amount": "12.50", "currency": "NZD", "reference": ref,
		"description": "Green tea", "return_url": "https://shop.example/thanks"})
	req, _ := http.NewRequest(http.MethodPost, s.public+"/api/v1/payments", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	req.Header.Set("Content-Type", "application/json")
	_, b := s.do(req, http.StatusCreated)
	var p struct {
		ID               string `json:"id"`
		CheckoutURL      string `json:"checkout_url"`
		LatipayReference string `json:"latipay_reference"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if want := s.public + "/checkout/" + p.ID; !strings.HasPrefix(p.CheckoutURL, want) {
		t.Errorf("checkout_url = %q, want it to start with %q", p.CheckoutURL, want)
	}
	req, _ = http.NewRequest(http.MethodPost, s.public+"/checkout/"+p.ID+"/start", strings.NewReader("method=wechat"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", multiDesktopUA)
	s.do(req, http.StatusSeeOther)
	resp, b := s.do(s.get("/checkout/"+p.ID), http.StatusOK)
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("checkout page through Caddy has no Content-Security-Policy")
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	socketPath, ok := doc.Find("[data-socket-url]").Attr("data-socket-url")
	if !ok {
		t.Fatalf("checkout page has no data-socket-url:\n%s", b)
	}
	if doc.Find(`img[src*="qr.png"]`).Length() == 0 {
		t.Errorf("checkout page shows no QR code after the WeChat attempt started")
	}
	req, _ = http.NewRequest(http.MethodGet, s.public+"/api/v1/payments/"+p.ID, nil)
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	_, b = s.do(req, http.StatusOK)
	if err := json.Unmarshal(b, &p); err != nil || p.LatipayReference == "" {
		t.Fatalf("payment %s: no latipay_reference after start: %s", p.ID, b)
	}
	return recipePayment{ID: p.ID, Reference: p.LatipayReference, SocketPath: socketPath}
}

// socket opens the checkout page's websocket through the proxy.
func (s recipeShop) socket(p recipePayment) *websocket.Conn {
	s.t.Helper()
	u := "wss" + strings.TrimPrefix(s.public, "https") + p.SocketPath
	c, resp, err := s.ws.Dial(u, http.Header{"Origin": {s.public}})
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		s.t.Fatalf("socket through the proxy: %v (status %d)", err, code)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

// callback sends Latipay's signed "paid" notification for p through the
// proxy and returns the request id of the answer, which must be "sent".
func (s recipeShop) callback(p recipePayment) string {
	s.t.Helper()
	form := url.Values{
		"merchant_reference": {p.Reference}, "payment_method": {"wechat"}, "status": {"paid"},
		"currency": {"NZD"}, "amount": {"12.50"}, "order_id": {"20260301000001"}, "pay_time": {"2026-03-01 09:00:00"},
		"signature": {latipay.SignResult(s.latipayKey, p.Reference, "wechat", "paid", "NZD", "12.50")},
	}
	req, _ := http.NewRequest(http.MethodPost, s.public+"/latipay/callback", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, b := s.do(req, http.StatusOK)
	if string(b) != "sent" {
		s.t.Errorf("callback through the proxy answered %q, want sent", b)
	}
	return resp.Header.Get("X-Request-Id")
}
