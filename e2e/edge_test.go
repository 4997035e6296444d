package e2e

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServerEdges runs the built binary: HEAD /healthz is answered like
// GET (it was 405), request headers beyond 64 KiB get 431 (about 1 MB was
// accepted), and SIGTERM leaves a log line saying why the process stops
// (it ended silently).
func TestServerEdges(t *testing.T) {
	a := startApp(t, nil)
	req, _ := http.NewRequest(http.MethodHead, a.URL+"/healthz", nil)
	resp, err := a.client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HEAD /healthz = %v, %v, want 200", resp, err)
	}
	resp.Body.Close()

	req, _ = http.NewRequest(http.MethodGet, a.URL+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 100<<10))
	resp, err = a.client.Do(req)
	if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("GET /healthz with 100 KiB of headers = %v, %v, want 431", resp, err)
	}
	resp.Body.Close()

	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(15 * time.Second):
		t.Fatal("app did not stop after SIGTERM")
	}
	if logs := a.Logs(); !strings.Contains(logs, `"msg":"stopping"`) || !strings.Contains(logs, "terminated") {
		t.Errorf("no stopping line naming the signal in the log:\n%s", logs)
	}
}
