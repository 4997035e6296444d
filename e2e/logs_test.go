package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogsInAContainer: with stderr not a terminal (a pipe, as in a
// container) every log line is one JSON object; in sandbox mode requests
// are logged at debug only, so at the default level the start-up lines
// are all a newcomer sees, and HPP_LOG_LEVEL=debug brings them back.
func TestLogsInAContainer(t *testing.T) {
	key := filepath.Join(t.TempDir(), "api-key")
	if err := os.WriteFile(key, []byte(strings.Repeat("a", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(key, 0o644); err != nil { // as Kubernetes mounts it: a warning
		t.Fatal(err)
	}
	for _, level := range []string{"info", "debug"} {
		t.Run(level, func(t *testing.T) {
			a := startApp(t, map[string]string{"HPP_LOG_LEVEL": level, "HPP_API_KEY_FILE": key})
			a.send(t, "GET", "/", nil, nil, http.StatusOK)
			a.Stop(t)
			var requests, warnings int
			for _, line := range strings.Split(strings.TrimSpace(a.Logs()), "\n") {
				var l struct{ Level, Msg string }
				if err := json.Unmarshal([]byte(line), &l); err != nil {
					t.Fatalf("a log line is not JSON: %q", line)
				}
				switch {
				case l.Msg == "request":
					requests++
				case l.Level == "WARN" && strings.Contains(l.Msg, "HPP_API_KEY_FILE"):
					warnings++
				}
			}
			if warnings != 1 {
				t.Errorf("%d warnings naming HPP_API_KEY_FILE, want 1:\n%s", warnings, a.Logs())
			}
			if (requests > 0) != (level == "debug") {
				t.Errorf("HPP_LOG_LEVEL=%s in sandbox mode logged %d requests, want them at debug only:\n%s", level, requests, a.Logs())
			}
		})
	}
}

// TestLogsOnATerminal runs the binary with its output on a terminal (a
// pseudo-terminal from util-linux's script(1), as `go run .` in a shell
// has): log lines are short key=value text with the time of day, not
// JSON.
func TestLogsOnATerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatalf("script(1) from util-linux is needed: %v", err)
	}
	addr := freeAddr(t)
	p := runMain(t, &proc{name: "script", bin: script, args: []string{"-q", "-e", "-c", mainBinary(t, ""), "/dev/null"}, group: true,
		env: append(os.Environ(), "HPP_ADDR="+addr, "HPP_PUBLIC_URL=http://"+addr, "HPP_LOG_LEVEL=debug",
			"HPP_DATABASE="+filepath.Join(t.TempDir(), "hpp.db"))})
	output := p.output
	c := &http.Client{Timeout: 5 * time.Second}
	for end := time.Now().Add(20 * time.Second); !strings.Contains(output(), "msg=request"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) { // a hang guard
			t.Fatalf("no request logged on the terminal:\n%s", output())
		}
		if resp, err := c.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
		}
	}
	for _, line := range strings.Split(output(), "\n") {
		line = strings.TrimSpace(line)
		if !strings.Contains(line, "msg=request") {
			continue
		}
		if strings.HasPrefix(line, "{") || !strings.HasPrefix(line, "time=") || len(line) > 200 ||
			!strings.Contains(line, "level=DEBUG") || !strings.Contains(line, "path=/healthz") {
			t.Errorf("terminal log line = %q, want short key=value text", line)
		}
		if _, err := time.Parse(time.TimeOnly, strings.TrimPrefix(strings.Fields(line)[0], "time=")); err != nil {
			t.Errorf("terminal log line %q does not start with the time of day", line)
		}
	}
}
