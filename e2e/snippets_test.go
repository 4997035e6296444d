package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// readmeSection returns the part of the Markdown file path after the
// line heading, up to the next occurrence of end.
func readmeSection(t *testing.T, path, heading, end string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no %q section", path, heading)
	}
	if i := strings.Index(sec, end); i >= 0 {
		sec = sec[:i]
	}
	return sec
}

// readmeYAML returns the ```yaml blocks of the e2e/README.md section that
// starts with heading.
func readmeYAML(t *testing.T, heading string) []string {
	t.Helper()
	sec := readmeSection(t, "README.md", heading, "\n#")
	var blocks []string
	for {
		_, rest, ok := strings.Cut(sec, "```yaml\n")
		if !ok {
			return blocks
		}
		block, after, ok := strings.Cut(rest, "```")
		if !ok {
			t.Fatalf("README.md %q: a ```yaml block is not closed", heading)
		}
		blocks, sec = append(blocks, block), after
	}
}

// checkConfig runs `hpp check-config` with exactly env.
func checkConfig(t *testing.T, env map[string]string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Getenv("HPP_E2E_BINARY"), "check-config")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// probe is a Kubernetes container probe over HTTP.
type probe struct {
	HTTPGet struct {
		Path string
		Port int
	} `yaml:"httpGet"`
}

// TestReadmeSecretSnippets: e2e/README.md's Kubernetes and Compose snippets
// configure the app as written, and the Kubernetes Deployment's probes ask
// what the Caddy recipe's health check asks. The test mounts the Kubernetes Secret's
// keys as the kubelet does (a timestamped directory, a ..data link to
// it, one key -> ..data/key link per key, defaultMode), and the Compose
// secrets as /run/secrets/NAME files with their mode, rewrites only the
// mount paths to the temporary directories, and runs `hpp check-config`
// on the container's environment plus the image's (HPP_DATABASE).
func TestReadmeSecretSnippets(t *testing.T) {
	blocks := readmeYAML(t, "### Secrets on Kubernetes and Compose")
	if len(blocks) != 2 {
		t.Fatalf("%d yaml blocks, want the Kubernetes and the Compose one", len(blocks))
	}
	image := map[string]string{"HPP_ADDR": ":8080", "HPP_DATABASE": "/data/hpp.db"} // the Dockerfile's ENV

	t.Run("Kubernetes", func(t *testing.T) {
		var secret struct {
			StringData map[string]string `yaml:"stringData"`
		}
		var deploy struct {
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Env            []struct{ Name, Value string }
							ReadinessProbe *probe `yaml:"readinessProbe"`
							LivenessProbe  *probe `yaml:"livenessProbe"`
							VolumeMounts   []struct {
								MountPath string `yaml:"mountPath"`
							} `yaml:"volumeMounts"`
						}
						Volumes []struct {
							Secret struct {
								DefaultMode os.FileMode `yaml:"defaultMode"`
							}
						}
					}
				}
			}
		}
		docs := strings.Split(blocks[0], "\n---\n")
		if len(docs) != 2 || yaml.Unmarshal([]byte(docs[0]), &secret) != nil || yaml.Unmarshal([]byte(docs[1]), &deploy) != nil {
			t.Fatalf("the Kubernetes block is not a Secret and a Deployment:\n%s", blocks[0])
		}
		pod := deploy.Spec.Template.Spec
		if len(pod.Containers) != 1 || len(pod.Containers[0].VolumeMounts) != 1 || len(pod.Volumes) != 1 {
			t.Fatal("want one container with one secret volume")
		}
		// Its replicas share PostgreSQL, as the Caddy recipe's instances
		// do: the probes ask what Caddy's health check asks (health_uri),
		// the process's own health, so that a database outage shared by
		// every pod does not take them all out of the Service (readiness)
		// or restart them all (liveness).
		health := regexp.MustCompile(`health_uri (\S+)`).FindStringSubmatch(readmeSection(t, "README.md", "## Running several instances", "\n## "))
		if health == nil {
			t.Fatal("the Caddy recipe has no health_uri")
		}
		c := pod.Containers[0]
		if c.ReadinessProbe == nil {
			t.Error("the Deployment has no readiness probe")
		}
		for name, p := range map[string]*probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
			if p != nil && p.HTTPGet.Path != health[1] {
				t.Errorf("the %s probe asks %s; the Caddy recipe's health check asks %s, and the replicas share PostgreSQL",
					name, p.HTTPGet.Path, health[1])
			}
		}
		mode := pod.Volumes[0].Secret.DefaultMode
		if mode == 0 {
			mode = 0o644 // the kubelet's default
		}
		mount := filepath.Join(t.TempDir(), "etc-hpp")
		stamp := filepath.Join(mount, "..2025_01_31_00_00_00.123")
		if err := os.MkdirAll(stamp, 0o755); err != nil {
			t.Fatal(err)
		}
		db, masked := "", ""
		for key, value := range secret.StringData {
			if strings.HasPrefix(value, "CHANGE-ME") { // the shop's own value goes here
				value = strongSecret(key)
			}
			if strings.HasPrefix(value, "postgres://hpp:CHANGE-ME@") {
				// check-config connects: the shop's database is the test server's.
				db = pgtest.Schema(t)
				u, err := url.Parse(db)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := u.User.Password(); ok {
					u.User = url.UserPassword(u.User.Username(), "xxxxx")
				}
				value, masked = db, "postgres://"+u.User.String()+"@"+u.Host+"/"
			}
			writeFileMode(t, filepath.Join(stamp, key), value, mode)
			if err := os.Symlink("..data/"+key, filepath.Join(mount, key)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(filepath.Base(stamp), filepath.Join(mount, "..data")); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{}
		for k, v := range image {
			env[k] = v
		}
		for _, e := range pod.Containers[0].Env {
			env[e.Name] = strings.Replace(e.Value, pod.Containers[0].VolumeMounts[0].MountPath, mount, 1)
		}
		out, err := checkConfig(t, env)
		if err != nil || !strings.Contains(out, "live") || db == "" || !strings.Contains(out, masked) {
			t.Fatalf("check-config with e2e/README.md's Kubernetes snippet: %v\n%s", err, out)
		}
		if strings.Contains(out, "CHANGE-ME@") || strings.Contains(out, "warning:") != (mode&0o044 != 0) {
			t.Errorf("check-config output (secret mode %04o):\n%s", mode, out)
		}
	})

	t.Run("Compose", func(t *testing.T) {
		var compose struct {
			Services map[string]struct {
				Environment map[string]string
				Secrets     []struct {
					Source string
					Mode   os.FileMode
				}
			}
			Secrets map[string]struct{ File string }
		}
		if err := yaml.Unmarshal([]byte(blocks[1]), &compose); err != nil {
			t.Fatalf("the Compose block: %v", err)
		}
		svc, ok := compose.Services["hpp"]
		if !ok || len(svc.Secrets) == 0 {
			t.Fatal("no hpp service with secrets in the Compose block")
		}
		run := filepath.Join(t.TempDir(), "run-secrets")
		if err := os.Mkdir(run, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range svc.Secrets {
			if _, ok := compose.Secrets[s.Source]; !ok {
				t.Fatalf("secret %s is not declared", s.Source)
			}
			mode := s.Mode
			if mode == 0 {
				mode = 0o444 // Compose's default
			}
			// The shop puts its own values in ./secrets; strong ones here.
			writeFileMode(t, filepath.Join(run, s.Source), strongSecret(s.Source), mode)
		}
		env := map[string]string{}
		for k, v := range image {
			env[k] = v
		}
		for k, v := range svc.Environment {
			env[k] = strings.Replace(v, "/run/secrets", run, 1)
		}
		env["HPP_DATABASE"] = filepath.Join(t.TempDir(), "hpp.db") // the volume
		out, err := checkConfig(t, env)
		if err != nil || !strings.Contains(out, "live") || strings.Contains(out, "warning:") {
			t.Fatalf("check-config with e2e/README.md's Compose snippet: %v\n%s", err, out)
		}
	})
}

// strongSecret stands for a shop's own secret: 64 hex digits, different
// for each name, so live start-up's checks for short, regular or reused
// keys pass.
func strongSecret(name string) string {
	h := sha256.Sum256([]byte("snippet secret " + name))
	return hex.EncodeToString(h[:])
}

func writeFileMode(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
