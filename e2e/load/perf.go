package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// perfRecord starts `perf record -g` on the app's process when -perf is
// set and returns what stops it: a profile of the timed part of one
// scenario alone, without the preparation before it (creating and
// starting thousands of payments costs the app more than the callbacks
// that follow) or the start-up. It writes DIR/<scenario>-<time>.perf.data;
// read it with `perf report -i FILE --no-children --sort symbol`. perf's
// own CPU is not the app's and is not counted in its CPU per operation,
// but it shares the machine's cores.
func (h *harness) perfRecord(scenario string) (stop func()) {
	if h.perfDir == "" {
		return func() {}
	}
	if err := os.MkdirAll(h.perfDir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "load: -perf: %v\n", err)
		return func() {}
	}
	out := filepath.Join(h.perfDir, scenario+"-"+time.Now().UTC().Format("150405")+".perf.data")
	cmd := exec.Command("perf", "record", "-g", "-F", "999", "-p", strconv.Itoa(h.app.cmd.Process.Pid), "-o", out)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "load: -perf: %v (is perf installed?)\n", err)
		return func() {}
	}
	return func() {
		_ = cmd.Process.Signal(os.Interrupt) // perf writes its file and exits on SIGINT
		_ = cmd.Wait()
		fmt.Fprintf(os.Stderr, "load: %s: perf profile of the app in %s\n", scenario, out)
	}
}
