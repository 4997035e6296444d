package main

import (
	"debug/elf"
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

// perfSymbolsWarning is what to tell someone who gives -perf with a -bin
// binary perf cannot name functions in: one linked with -s (as the
// Dockerfile and the harness's own stripped build do) has no .symtab,
// and perf report then shows addresses only. "" when bin has a symbol
// table. The harness builds its own binary unstripped for -perf.
func perfSymbolsWarning(bin string) string {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Sprintf("load: -perf: cannot read %s as ELF (%v): its profile may have no symbols", bin, err)
	}
	defer f.Close()
	if f.Section(".symtab") == nil {
		return fmt.Sprintf("load: -perf: %s has no symbol table (linked with -ldflags=\"-s -w\"): perf report will show addresses, not functions; leave out -bin to have the harness build one with its symbols", bin)
	}
	return ""
}
