package latipaysim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ListenAndServe runs a Simulator as its own HTTP server on addr (such as
// 127.0.0.1:0) until ctx ends, for load tests that want Latipay in a
// separate process. An empty opts.BaseURL becomes http://<listening
// address>. Once listening it writes one line to stdout,
// "latipaysim: listening on <base URL>", so a parent process can read the
// port the system picked.
func ListenAndServe(ctx context.Context, addr string, opts Options, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("latipaysim: listen: %w", err)
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "http://" + ln.Addr().String()
	}
	if opts.CallbackClient == nil {
		// Callbacks may be many at once under load: keep connections open.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		opts.CallbackClient = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	sim, err := New(opts)
	if err != nil {
		ln.Close()
		return err
	}
	defer sim.Close()
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second}
	fmt.Fprintf(stdout, "latipaysim: listening on %s\n", opts.BaseURL)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// RunFromEnv is the `hpp simulator` subcommand: ListenAndServe on
// HPP_SIM_ADDR (default 127.0.0.1:0) with one merchant whose
// credentials are the app's own settings, LATIPAY_USER_ID,
// LATIPAY_API_KEY and LATIPAY_WALLET_NZD/AUD/CNY, so an app started with
// LATIPAY_API_URL pointing here is accepted. HPP_SIM_CALLBACK_INTERVAL
// sets the callback retry interval (default 30s).
func RunFromEnv(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	m := Merchant{UserID: getenv("LATIPAY_USER_ID"), APIKey: getenv("LATIPAY_API_KEY"), Wallets: map[string]string{}}
	for _, cur := range []string{"NZD", "AUD", "CNY"} {
		if w := getenv("LATIPAY_WALLET_" + cur); w != "" {
			m.Wallets[w] = cur
		}
	}
	if m.UserID == "" || m.APIKey == "" || len(m.Wallets) == 0 {
		return errors.New("latipaysim: set LATIPAY_USER_ID, LATIPAY_API_KEY and at least one LATIPAY_WALLET_NZD, _AUD or _CNY: the merchant the simulator accepts")
	}
	opts := Options{Merchants: []Merchant{m}, Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if v := getenv("HPP_SIM_CALLBACK_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("latipaysim: HPP_SIM_CALLBACK_INTERVAL must be a positive duration such as 30s")
		}
		opts.CallbackInterval = d
	}
	return ListenAndServe(ctx, cmpOr(getenv("HPP_SIM_ADDR"), "127.0.0.1:0"), opts, stdout)
}
