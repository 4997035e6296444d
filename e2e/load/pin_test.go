package main

import (
	"io"
	"slices"
	"testing"
)

// TestPinPlan: auto pins on 4 CPUs or more and not on 2; on splits the
// CPUs in two disjoint halves; the servers' command runs under taskset.
func TestPinPlan(t *testing.T) {
	for _, c := range []struct {
		mode            string
		ncpu            int
		client, servers string
	}{
		{"auto", 2, "", ""}, {"auto", 4, "0-1", "2-3"}, {"auto", 6, "0-2", "3-5"},
		{"on", 2, "0", "1"}, {"on", 3, "0", "1-2"}, {"off", 8, "", ""},
	} {
		cl, sv, err := pinPlan(c.mode, c.ncpu)
		if err != nil || cl != c.client || sv != c.servers {
			t.Errorf("pinPlan(%s, %d) = %q, %q, %v; want %q, %q", c.mode, c.ncpu, cl, sv, err, c.client, c.servers)
		}
	}
	if _, _, err := pinPlan("on", 1); err == nil {
		t.Error("-pin on with 1 CPU accepted")
	}
	if _, _, err := pinPlan("yes", 4); err == nil {
		t.Error("-pin yes accepted")
	}
	bin, args := pinned("1", "/bin/hpp", []string{"simulator"})
	if bin != "taskset" || !slices.Equal(args, []string{"-c", "1", "/bin/hpp", "simulator"}) {
		t.Errorf("pinned = %s %v", bin, args)
	}
	if bin, args := pinned("", "/bin/hpp", nil); bin != "/bin/hpp" || len(args) != 0 {
		t.Errorf("unpinned = %s %v", bin, args)
	}
}

// TestPinnedChildKeepsPlan: re-executed under taskset the harness sees
// only the client's CPUs; it must take the first process's plan, not
// work one out again (with one CPU visible, -pin on would refuse).
func TestPinnedChildKeepsPlan(t *testing.T) {
	t.Setenv(pinEnv, "3|4-5")
	c, err := parseFlags([]string{"-pin", "on"}, io.Discard)
	if err != nil || c.clientCPUs != "3" || c.serverCPUs != "4-5" {
		t.Fatalf("parseFlags in the pinned child = %q, %q, %v; want 3, 4-5", c.clientCPUs, c.serverCPUs, err)
	}
}
