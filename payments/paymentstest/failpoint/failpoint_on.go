//go:build failpoints

package failpoint

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/latipay-hpp/hpp/payments"
)

// WrapStore, in a failpoints build, wraps the service's store when the
// comma-separated HPP_FAILPOINT names steps: on reaching one the process
// exits at once with status 137, as if SIGKILLed there (no deferred
// functions run, nothing is flushed).
func WrapStore(getenv func(string) string, store payments.Store) payments.Store {
	if hook := fromEnv(getenv); hook != nil {
		return Wrap(store, hook)
	}
	return store
}

// WrapApp is WrapStore for the HTTP side: the callback at path.
func WrapApp(getenv func(string) string, app http.Handler, path string) http.Handler {
	if hook := fromEnv(getenv); hook != nil {
		return Handler(app, path, hook)
	}
	return app
}

func fromEnv(getenv func(string) string) func(string) {
	armed := map[string]bool{}
	for _, n := range strings.Split(getenv("HPP_FAILPOINT"), ",") {
		if n = strings.TrimSpace(n); n != "" {
			armed[n] = true
		}
	}
	if len(armed) == 0 {
		return nil
	}
	return func(name string) {
		if armed[name] {
			fmt.Fprintf(os.Stderr, "hpp: failpoint %s: exit 137\n", name)
			os.Exit(137)
		}
	}
}
