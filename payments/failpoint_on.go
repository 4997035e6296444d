//go:build failpoints

package payments

import (
	"fmt"
	"os"
	"strings"
)

// FailpointsFromEnv returns the hook of a failpoints build: when the
// comma-separated HPP_FAILPOINT names the step reached, the process
// exits at once with status 137, as if SIGKILLed there (no deferred
// functions run, nothing is flushed). The variable is read once, here.
// Only the test build (go build -tags failpoints) contains this.
func FailpointsFromEnv(getenv func(string) string) func(name string) {
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
