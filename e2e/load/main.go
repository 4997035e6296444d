// Command load is the load harness of the hosted payment page (issue 6).
// It builds the binary (CGO_ENABLED=0), starts it and a separate Latipay
// simulator process (`hpp simulator`) on loopback, drives each scenario
// with its own HTTP and websocket clients, and prints a table and JSON of
// throughput, p50/p99 latency and memory. In the same run it measures two
// ceilings with the same client and concurrency, and reports each figure
// as a ratio to its ceiling:
//
//   - the HTTP ceiling: a bare gin handler answering "ok", in a helper
//     process (this program re-executed);
//   - the durability ceiling: bare SQLite commits through modernc.org/sqlite
//     (WAL, synchronous=FULL, one small row per transaction).
//
// Run it from the repository:
//
//	go run ./e2e/load -runs 3 -json load.json
//
// Two more, growth and pg2, run only when named in -only (growth.go,
// pg2.go; e2e/load/README.md, "Growth and two instances"):
//
//	go run ./e2e/load -only growth,pg2 -runs 3
//
// The PostgreSQL rows each make a database of their own and drop it;
// pgdb.go also drops those an earlier run was stopped before dropping.
//
// Every scenario is bounded by -duration and the harness always stops by
// itself. It uses loopback only. The app runs with HPP_RATE_LIMITS=off
// (allowed on loopback only), since the harness is one client address
// and one API key sending thousands of requests a second.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if os.Getenv(helperEnv) == "http-ceiling" {
		if err := serveHTTPCeiling(os.Getenv("HPP_ADDR")); err != nil {
			fmt.Fprintln(os.Stderr, "ceiling:", err)
			os.Exit(1)
		}
		return
	}
	if os.Getenv(helperEnv) == "sockets" {
		conns, _ := strconv.Atoi(os.Getenv("HPP_LOAD_CONNS"))
		if err := serveSockets(os.Stdin, os.Stdout, os.Getenv("HPP_LOAD_SRC"), max(1, conns)); err != nil {
			fmt.Fprintln(os.Stderr, "sockets:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	duration time.Duration
	conns    int
	runs     int
	jsonOut  string
	only     map[string]bool
	sockets  int
	perPay   int
	pin      string // -pin: auto, on or off (pin.go)
	// clientCPUs and serverCPUs are pinPlan's answer.
	clientCPUs, serverCPUs string
	// memoryBase is the payments in the database at the memory
	// scenario's first phase.
	memoryBase int
	keep       bool
	bin        string
	// Offered rates of the fixed-rate scenarios (0: the default).
	renderRate, startRate float64
	// The growth rows: database sizes, and the most operations of each
	// kind measured at a size.
	growthSizes []int
	growthOps   int
	// growthOn names the stores the growth rows run on.
	growthOn map[string]bool
	// pg2: signed callbacks prepared for the two-instance callback row.
	pg2Callbacks int
	// perfDir, when set: perf record the app over each timed callback and
	// closed-loop page run (perf.go).
	perfDir string
}

// scenarios in the order they run.
var scenarioNames = []string{"startup", "ceiling-http", "ceiling-durability", "render", "render-rate", "create", "start", "start-rate", "callback", "push", "memory", "postgres", "pg2", "growth"}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var only string
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of each timed scenario")
	fs.IntVar(&c.conns, "conns", 64, "connections (and workers) per scenario, ceilings included")
	fs.IntVar(&c.runs, "runs", 3, "runs; the table shows the median of each figure")
	fs.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&only, "only", "", "comma-separated scenarios to run: "+strings.Join(scenarioNames, ","))
	fs.IntVar(&c.sockets, "sockets", 19000, "open sockets in the push scenario (the app's open-files limit here is 20,000)")
	fs.IntVar(&c.perPay, "sockets-per-payment", 5, "sockets per payment in the push scenario (the app's default cap is 5)")
	fs.IntVar(&c.memoryBase, "memory-base", 5000, "payments in the database at the memory scenario's first phase (it doubles three times)")
	fs.StringVar(&c.pin, "pin", "auto", "pin the client and the servers to different CPUs: auto (on 4 CPUs or more), on, off")
	fs.BoolVar(&c.keep, "keep", false, "keep the working directory (logs, databases)")
	fs.StringVar(&c.bin, "bin", "", "use this hpp binary instead of building one")
	fs.Float64Var(&c.renderRate, "render-rate", 0, "requests a second offered in render-rate (default: 25% of the run's HTTP ceiling)")
	fs.Float64Var(&c.startRate, "start-rate", startRateOffered, "starts a second offered in start-rate")
	sizes := fs.String("growth-sizes", "10k,100k,1M", "payments in the database for the growth rows, ascending")
	stores := fs.String("growth-stores", "sqlite,postgres", "stores for the growth rows (postgres needs HPP_TEST_POSTGRES)")
	fs.IntVar(&c.growthOps, "growth-ops", 5000, "at most this many operations of each kind per growth size and measurement")
	fs.IntVar(&c.pg2Callbacks, "pg2-callbacks", 40000, "started payments the pg2 callback row may pay")
	fs.StringVar(&c.perfDir, "perf", "", "record the app with perf record -g over the timed part of the callback and render scenarios into this directory (the binary is built with its symbols)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.growthSizes, err = parseSizes(*sizes); err != nil {
		return c, err
	}
	c.growthOn = map[string]bool{}
	for _, st := range strings.Split(*stores, ",") {
		if st != "sqlite" && st != "postgres" {
			return c, fmt.Errorf("-growth-stores: %q is not a store (sqlite, postgres)", st)
		}
		c.growthOn[st] = true
	}
	if c.growthOps < 1 || c.pg2Callbacks < 1 {
		return c, fmt.Errorf("-growth-ops and -pg2-callbacks must be positive")
	}
	if c.conns < 1 || c.runs < 1 || c.duration <= 0 || c.sockets < 1 || c.perPay < 1 || c.memoryBase < 1 || c.renderRate < 0 || c.startRate < 0 {
		return c, fmt.Errorf("-conns, -runs, -duration, -sockets, -sockets-per-payment and -memory-base must be positive")
	}
	// Re-executed under taskset (pinSelf), the harness sees only the
	// client's CPUs: the plan comes from the first process.
	if v := os.Getenv(pinEnv); v != "" {
		c.clientCPUs, c.serverCPUs, _ = strings.Cut(v, "|")
	} else if c.clientCPUs, c.serverCPUs, err = pinPlan(c.pin, runtime.NumCPU()); err != nil {
		return c, err
	}
	if only != "" {
		c.only = map[string]bool{}
		for _, s := range strings.Split(only, ",") {
			s = strings.TrimSpace(s)
			known := false
			for _, n := range scenarioNames {
				known = known || n == s
			}
			if !known {
				return c, fmt.Errorf("-only: unknown scenario %q (have %s)", s, strings.Join(scenarioNames, ","))
			}
			c.only[s] = true
		}
	}
	return c, nil
}

func (c config) want(name string) bool { return c.only == nil || c.only[name] }

// report is the JSON output.
type report struct {
	Command string  `json:"command"`
	Machine machine `json:"machine"`
	Runs    [][]row `json:"runs"`
	Median  []row   `json:"median"`
}

type machine struct {
	CPUs int `json:"cpus"`
	// ClientCPUs and ServerCPUs are the pinning (-pin); "" when unpinned.
	ClientCPUs string `json:"client_cpus,omitempty"`
	ServerCPUs string `json:"server_cpus,omitempty"`
	CPU        string `json:"cpu"`
	Go         string `json:"go"`
	LoadStart  string `json:"loadavg_start"`
	LoadEnd    string `json:"loadavg_end"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if err := pinSelf(cfg.clientCPUs, cfg.serverCPUs); err != nil {
		return err
	}
	if cfg.clientCPUs != "" {
		fmt.Fprintf(stderr, "load: client on CPUs %s, servers on CPUs %s\n", cfg.clientCPUs, cfg.serverCPUs)
	}
	raiseFDLimit(stderr)
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hpp-load-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Fprintln(stderr, "load: working directory", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := cfg.bin
	if bin != "" && cfg.perfDir != "" {
		if w := perfSymbolsWarning(bin); w != "" {
			fmt.Fprintln(stderr, w)
		}
	}
	if bin == "" {
		fmt.Fprintln(stderr, "load: building the binary (CGO_ENABLED=0)")
		if bin, err = build(ctx, root, dir, cfg.perfDir == ""); err != nil {
			return err
		}
	}
	rep := report{Command: "go run ./e2e/load " + strings.Join(args, " "),
		Machine: machine{CPUs: runtime.NumCPU(), ClientCPUs: cfg.clientCPUs, ServerCPUs: cfg.serverCPUs, CPU: cpuModel(), Go: runtime.Version(), LoadStart: loadavg()}}
	var later [][]row // growth's measurements for runs 2..n, taken in run 1
	for r := range cfg.runs {
		fmt.Fprintf(stderr, "load: run %d of %d (load average %s)\n", r+1, cfg.runs, loadavg())
		reps := 0
		if r == 0 {
			reps = cfg.runs
		}
		rows, more, err := runOnce(ctx, cfg, dir, bin, stderr, reps)
		if err != nil {
			return fmt.Errorf("run %d: %w", r+1, err)
		}
		if r == 0 {
			later = more
		}
		rep.Runs = append(rep.Runs, withLater(rows, later, r))
	}
	rep.Machine.LoadEnd = loadavg()
	rep.Median = medians(rep.Runs)
	printTable(stdout, rep)
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// withLater adds to run r's rows the growth rows measured for it in the
// first run (later[r-1]).
func withLater(rows []row, later [][]row, r int) []row {
	if r >= 1 && r-1 < len(later) {
		return append(rows, later[r-1]...)
	}
	return rows
}

// raiseFDLimit lifts the soft open-files limit to the hard one; the app
// and the simulator inherit it, which the push scenario needs.
func raiseFDLimit(stderr io.Writer) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		fmt.Fprintln(stderr, "load: cannot raise the open-files limit:", err)
	}
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
