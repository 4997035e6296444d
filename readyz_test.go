package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mountTmpfs mounts a tmpfs of size (mount's -o size=) at a new folder
// and returns it; it skips the test where mounting is not allowed (not
// root, or a container without the capability).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file at path until its file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestRunReadyzFullDisk: on a disk that fills up, the writes the API
// asks for fail, and /readyz answers 503 saying that the last database
// write failed and why (no path), and the metrics say it too; once space
// is freed, a write succeeds again, and /readyz holds the failure for
// handlers.WriteFailureHold, saying that writes succeed again, and the
// metric with it (one rule: payments.HeldWriteFailure).
// The readiness probe's own check rolls back and never needs a page of
// disk, so without the store's memory of the failed write it answered
// 200 throughout.
func TestRunReadyzFullDisk(t *testing.T) {
	disk := mountTmpfs(t, "8m")
	key := strings.Repeat("b", 32)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"HPP_ADDR": "127.0.0.1:0", "HPP_PUBLIC_URL": "http://127.0.0.1:8999",
		"HPP_DATABASE": filepath.Join(disk, "hpp.db"), "HPP_API_KEY": key, "HPP_LOG_LEVEL": "error",
		"HPP_METRICS_ADDR": metricsAddr}
	first, stop, errc := startRun(t, env)
	defer func() { stop(); <-errc }()
	_, rest, _ := strings.Cut(first, "listening on ")
	addr, _, _ := strings.Cut(rest, ",")
	base := "http://" + addr
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	create := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v1/payments", strings.NewReader(
			`{"amount":"12.50","currency":"NZD","reference":"`+strings.Repeat("R", 60)+`","description":"`+strings.Repeat("d", 200)+`","return_url":"http://127.0.0.1:8999/"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	failing := func() string {
		t.Helper()
		_, body := get("http://" + metricsAddr + "/metrics")
		for line := range strings.SplitSeq(body, "\n") {
			if strings.HasPrefix(line, "hpp_store_write_failing ") {
				return strings.TrimPrefix(line, "hpp_store_write_failing ")
			}
		}
		t.Errorf("no hpp_store_write_failing in the metrics")
		return "(absent)"
	}
	if code, body := create(); code != http.StatusCreated {
		t.Fatalf("create = %d %s", code, body)
	}
	if code, body := get(base + "/readyz"); code != http.StatusOK {
		t.Fatalf("readyz before the disk filled = %d %q", code, body)
	}
	if got := failing(); got != "0" {
		t.Errorf("hpp_store_write_failing before the disk filled = %s, want 0", got)
	}

	filler := filepath.Join(disk, "filler")
	fillDisk(t, filler)
	code, body := http.StatusCreated, ""
	for i := 0; i < 5000 && code == http.StatusCreated; i++ {
		code, body = create()
	}
	if code == http.StatusCreated {
		t.Fatal("5000 payments created on a full disk")
	}
	t.Logf("the create that failed: %d %s", code, body)
	code, body = get(base + "/readyz")
	t.Logf("readyz: %d %s", code, body)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "the last database write failed") || !strings.Contains(body, "disk is full") {
		t.Errorf("readyz after a write failed on the full disk = %d %q; want 503 saying why", code, body)
	}
	if strings.Contains(body, disk) {
		t.Errorf("readyz names the database's path: %q", body)
	}
	if got := failing(); got != "1" {
		t.Errorf("hpp_store_write_failing after the failed write = %s, want 1", got)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, body := create(); code != http.StatusCreated {
		t.Fatalf("create once space is freed = %d %s", code, body)
	}
	// A write that commits does not show that the others will (with
	// mixed traffic, one that fits commits while others fail): readiness
	// holds the failure for handlers.WriteFailureHold all the same
	// (TestReadyzHoldsAFailureThoughAWriteCommitted: 200 after it).
	if code, body := get(base + "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "writes have succeeded since") {
		t.Errorf("readyz after a write succeeded again, within the hold = %d %q, want 503 saying writes succeed again", code, body)
	}
	// The metric follows readiness: an alert on it does not clear with
	// a write that commits while others may still fail.
	if got := failing(); got != "1" {
		t.Errorf("hpp_store_write_failing after a write succeeded again, within the hold = %s, want 1 (as /readyz)", got)
	}
}
