package e2e

import (
	"os"
	"os/exec"
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
