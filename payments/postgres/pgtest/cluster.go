package pgtest

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"

	"github.com/latipay-hpp/hpp/payments/paymentstest/needs"
)

var errNotInstalled = errors.New("PostgreSQL's server programs (initdb, pg_ctl) are not installed")

var (
	clusterOnce sync.Once
	clusterURL  string
	clusterErr  error
)

// throwaway returns the admin URL of this run's throwaway cluster,
// starting it if no test binary of the run has yet.
func throwaway() (string, error) {
	clusterOnce.Do(func() { clusterURL, clusterErr = startCluster() })
	return clusterURL, clusterErr
}

// bindir finds initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin
// (Debian keeps them off PATH), else PATH.
func bindir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && isExec(filepath.Join(filepath.Dir(p), "pg_ctl")) {
		return filepath.Dir(p), nil
	}
	return "", errNotInstalled
}

func version(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&0o111 != 0
}

// startCluster starts the run's cluster under a lock, or finds it started.
// Its folder is named after the process standing for the run
// (needs.RunOwner); a watchdog started beside it stops the cluster and
// removes the folder once that process has ended.
func startCluster() (string, error) {
	bin, err := bindir()
	if err != nil {
		return "", err
	}
	owner := needs.RunOwner()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("hpp-pgtest-%d", owner))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	u := "postgres://postgres@/postgres?host=" + url.QueryEscape(dir) + "&port=5432&sslmode=disable"
	if b, err := os.ReadFile(filepath.Join(dir, "url")); err == nil && string(b) == u {
		return u, nil // another test binary of this run started it
	}
	cred, err := runAs(dir)
	if err != nil {
		return "", err
	}
	data := filepath.Join(dir, "data")
	steps := [][]string{
		{filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8", "--locale=C"},
		{filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-s", "start",
			"-o", "-k " + dir + " -c listen_addresses='' -p 5432 -F -c max_connections=200"},
	}
	for _, args := range steps {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return "", fmt.Errorf("%s: %v: %s%s", filepath.Base(args[0]), err, out, log)
		}
	}
	// The watchdog outlives this test binary (its own session, no pipes
	// that go test would wait on) and ends with the run.
	watch := exec.Command("/bin/sh", "-c", fmt.Sprintf(
		`while [ -d /proc/%d ]; do sleep 1; done; %q -D %q -m immediate -s stop; rm -rf %q`,
		owner, filepath.Join(bin, "pg_ctl"), data, dir))
	watch.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: cred}
	if err := watch.Start(); err != nil {
		return "", err
	}
	go watch.Wait()
	if err := os.WriteFile(filepath.Join(dir, "url"), []byte(u), 0o644); err != nil {
		return "", err
	}
	return u, nil
}

// runAs is who runs the cluster: this user, or, as root (which PostgreSQL
// refuses), the postgres user, who is given the folder.
func runAs(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("as root, the cluster runs as the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
