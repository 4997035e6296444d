// Package e2e holds the black-box tests of the built binary: TestMain in
// main_test.go builds hpp once, and each test starts it on a free loopback
// port with the Latipay simulator (in-process or over HTTP), then drives it
// over HTTP, websockets and a real Chromium (chromedp). Besides the
// binary they use the simulator, the test helpers under payments
// (paymentstest, pgtest) and, to read what the binary wrote, the domain
// types and the Latipay signer; they never call the app's code directly.
//
// Where to change what: building, starting and waiting for the binary
// is main_test.go (startApp, startAppAt, printed); a browser, its app and
// the DevTools helpers (sign-in, print to PDF, scripts off) are
// browser_helpers_test.go, axe-core a11y_test.go; two instances on one
// PostgreSQL are multi_test.go (multiPair) and multi_counter_test.go;
// the README checks are docs_test.go (links, code map) and
// snippets_test.go. A new test reuses these rather than starting the
// binary itself.
//
// e2e/README.md is the inventory: what each test proves, the security P0
// list with its own numbering, the several-instances recipe that
// TestRecipeReadme and TestRecipeCompose run, and the secrets snippets TestReadmeSecretSnippets
// checks. The load harness is in e2e/load, with its method and figures in
// e2e/load/README.md.
package e2e
