package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// Pinning the load client and the app to different cores (-pin).
//
// The client (this harness, its socket helpers) and the servers it
// measures (the app, the simulator, the bare gin ceiling) compete for the
// same cores unless they are pinned apart. With -pin on, the client gets
// the first half of the CPUs and the servers the rest (taskset(1)); the
// harness re-executes itself under taskset so that every thread of it is
// pinned. With -pin auto (the default) that is done on 4 CPUs or more.
// On 2 CPUs auto leaves both unpinned: one core each makes every HTTP row
// measure whichever side is slower on its single core, and here that is
// the client for the bare gin ceiling (about 23 µs of client CPU per
// request against 18 µs of server CPU), so ratios to the ceiling would
// compare two client-bound figures. Every row reports the client's own
// CPU per operation beside the app's (`client_cpu_us_per_op`), so the
// share of the two cores the client took is in the table either way.

// pinEnv marks the harness as already re-executed under taskset, and
// carries the plan: "<client CPUs>|<server CPUs>".
const pinEnv = "HPP_LOAD_PINNED"

// pinPlan returns the CPU lists (taskset -c syntax) for the client and
// for the servers, or "" for both when nothing is pinned.
func pinPlan(mode string, ncpu int) (client, servers string, err error) {
	switch mode {
	case "off":
		return "", "", nil
	case "auto":
		if ncpu < 4 {
			return "", "", nil
		}
	case "on":
		if ncpu < 2 {
			return "", "", fmt.Errorf("-pin on needs 2 CPUs or more, have %d", ncpu)
		}
	default:
		return "", "", fmt.Errorf("-pin: %q, want auto, on or off", mode)
	}
	half := ncpu / 2
	return cpuRange(0, half-1), cpuRange(half, ncpu-1), nil
}

func cpuRange(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
}

// pinned returns the command line that runs bin with args on cpus.
func pinned(cpus, bin string, args []string) (string, []string) {
	if cpus == "" {
		return bin, args
	}
	return "taskset", append([]string{"-c", cpus, bin}, args...)
}

// pinSelf re-executes the harness under taskset on the client's CPUs,
// once; it returns only when there is nothing to do or it failed.
func pinSelf(client, servers string) error {
	if client == "" || os.Getenv(pinEnv) != "" {
		return nil
	}
	ts, err := exec.LookPath("taskset")
	if err != nil {
		return fmt.Errorf("-pin: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(ts, append([]string{"taskset", "-c", client, self}, os.Args[1:]...), append(os.Environ(), pinEnv+"="+client+"|"+servers))
}
