//go:build !failpoints

package failpoint

import (
	"net/http"

	"github.com/latipay-hpp/hpp/payments"
)

// WrapStore returns store unchanged: failpoints exist only in a build
// with the failpoints tag (failpoint_on.go).
func WrapStore(getenv func(string) string, store payments.Store) payments.Store { return store }

// WrapApp returns app unchanged, as WrapStore.
func WrapApp(getenv func(string) string, app http.Handler, path string) http.Handler { return app }
