//go:build !failpoints

package payments

// FailpointsFromEnv returns nil: failpoints exist only in a build with
// the failpoints tag (failpoint_on.go).
func FailpointsFromEnv(getenv func(string) string) func(name string) { return nil }
