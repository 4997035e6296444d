package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestShippedBuildTags: the Dockerfile, CI and the load harness build the
// binary with shipTags, and with them the binary links no MessagePack
// codec. gin's binding and render packages import ugorji's codec unless
// built with nomsgpack: 3.3 MB of code (a stripped binary of 39.4 MB
// against 33.4 MB) and some 2 MB of idle memory (its init functions and
// the pages around them), for a format the app neither reads nor writes.
func TestShippedBuildTags(t *testing.T) {
	for file, line := range map[string]string{
		"../Dockerfile":       "go build -trimpath -tags " + shipTags + " ",
		"../.ci/run":          "go build -tags " + shipTags + " ",
		"../e2e/load/proc.go": `"go", "build", "-trimpath", "-tags", "` + shipTags + `"`,
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), line) {
			t.Errorf("%s does not build with %q (want a line with %s)", file, shipTags, line)
		}
	}
	cmd := exec.Command("go", "list", "-deps", "-tags", shipTags, ".")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/ugorji/") {
			t.Errorf("the shipped binary links %s", pkg)
		}
	}
}

// TestDockerRevision: the Dockerfile's build context has no .git, so Go
// records no VCS revision; its HPP_REVISION build argument reaches "hpp
// version" through -ldflags -X. The test builds with the Dockerfile's own
// -ldflags (the argument filled in) and without VCS stamping, as there.
func TestDockerRevision(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RUN .*go build .*-ldflags="([^"]*)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the Dockerfile has no go build line with -ldflags=\"...\"")
	}
	ldflags := strings.ReplaceAll(string(m[1]), "${HPP_REVISION}", "0123abc")
	bin := filepath.Join(t.TempDir(), "hpp")
	cmd := exec.Command("go", "build", "-buildvcs=false", "-trimpath", "-tags", shipTags, "-ldflags="+ldflags, "-o", bin, ".")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), " revision 0123abc") {
		t.Errorf("hpp version = %q, %v; want the revision the build argument gave (0123abc)", out, err)
	}
}
