package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one child process: the app, the simulator or a helper.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	url  string        // base URL it serves
}

// start runs bin with args and exactly env (plus PATH and HOME), stdout and
// stderr going to files in dir. lines receives stdout lines until it is
// closed by the reader; pass nil to ignore them. The child is killed if
// the harness dies (Pdeathsig).
func start(dir, name, bin string, args []string, env map[string]string, lines chan<- string) (*proc, error) {
	p, _, err := startCmd(dir, name, bin, args, env, lines, false)
	return p, err
}

// startWithStdin is start with a pipe to the child's standard input.
func startWithStdin(dir, name, bin string, args []string, env map[string]string, lines chan<- string) (*proc, io.WriteCloser, error) {
	return startCmd(dir, name, bin, args, env, lines, true)
}

func startCmd(dir, name, bin string, args []string, env map[string]string, lines chan<- string, withStdin bool) (*proc, io.WriteCloser, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	errf, err := os.Create(filepath.Join(dir, name+".stderr"))
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = errf
	var stdin io.WriteCloser
	if withStdin {
		if stdin, err = cmd.StdinPipe(); err != nil {
			return nil, nil, err
		}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		outf, _ := os.Create(filepath.Join(dir, name+".stdout"))
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if outf != nil {
				fmt.Fprintln(outf, sc.Text())
			}
			if lines != nil {
				select {
				case lines <- sc.Text():
				default:
				}
			}
		}
		if outf != nil {
			outf.Close()
		}
		_ = cmd.Wait()
		errf.Close()
		close(p.done)
	}()
	return p, stdin, nil
}

// stop ends the process: SIGTERM, then SIGKILL after 5 s.
func (p *proc) stop() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// mem is a process's resident memory from /proc/<pid>/status.
type mem struct {
	RSS, HWM int64 // bytes
}

// memOf reads VmRSS and VmHWM of pid.
func memOf(pid int) (mem, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return mem{}, err
	}
	var m mem
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.RSS = kb << 10
		case "VmHWM:":
			m.HWM = kb << 10
		}
	}
	return m, nil
}

func (p *proc) mem() mem {
	m, _ := memOf(p.cmd.Process.Pid)
	return m
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitHealthy polls url+"/healthz" until it answers 200, the process
// exits or ctx ends, and returns when it first answered.
func waitHealthy(ctx context.Context, p *proc, base string) (time.Time, error) {
	c := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if resp, err := c.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
		}
		select {
		case <-p.done:
			return time.Time{}, fmt.Errorf("%s exited before it was healthy (see its .stderr file)", p.name)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// build compiles the app with CGO_ENABLED=0 and the Dockerfile's tags
// into dir and returns its path; strip drops the symbols, as the
// Dockerfile does (perf needs them).
func build(ctx context.Context, root, dir string, strip bool) (string, error) {
	bin := filepath.Join(dir, "hpp")
	ldflags := "-ldflags=-s -w"
	if !strip {
		ldflags = "-ldflags="
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "nomsgpack", ldflags, "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the directory holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found: run from inside the repository")
		}
		dir = parent
	}
}

// cpu is the CPU time (user and system) the process has used so far,
// from /proc/<pid>/stat, in clock ticks of 10 ms (USER_HZ is 100 on
// Linux); zero if it cannot be read.
func (p *proc) cpu() time.Duration {
	if p == nil || p.cmd.Process == nil {
		return 0
	}
	return cpuOf(p.cmd.Process.Pid)
}

func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields after its closing parenthesis. utime and stime are
	// fields 14 and 15, so the 12th and 13th after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(u+s) * 10 * time.Millisecond
}

// cpuMeter measures the CPU the app, the simulator and the harness itself
// (the load client) spend over a scenario's timed part.
type cpuMeter struct {
	procs []*proc
	names []string
	at    []time.Duration
}

func meterCPU(procs map[string]*proc) *cpuMeter {
	m := &cpuMeter{}
	for _, name := range slices.Sorted(maps.Keys(procs)) {
		m.procs, m.names = append(m.procs, procs[name]), append(m.names, name)
	}
	m.procs, m.names = append(m.procs, nil), append(m.names, "client")
	for _, p := range m.procs {
		m.at = append(m.at, cpuNow(p))
	}
	return m
}

func cpuNow(p *proc) time.Duration {
	if p == nil {
		return cpuOf(os.Getpid())
	}
	return p.cpu()
}

// perOp adds <name>_cpu_us_per_op for each process to r.Extra, over n
// operations.
func (m *cpuMeter) perOp(r *row, n int) {
	if n <= 0 {
		return
	}
	if r.Extra == nil {
		r.Extra = map[string]float64{}
	}
	for i, p := range m.procs {
		d := cpuNow(p) - m.at[i]
		r.Extra[m.names[i]+"_cpu_us_per_op"] = float64(d.Microseconds()) / float64(n)
	}
}
