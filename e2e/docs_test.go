package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// mdLink is a Markdown inline link's target: [text](target). The text may
// end a line and the target start the next.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// mdAnchors returns the anchors GitHub gives the headings of a Markdown
// file: lower case, letters, digits, '-' and '_' kept, spaces become '-',
// everything else dropped, and a repeated heading gets -1, -2 and so on.
// Lines inside ``` fences are not headings.
func mdAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		h := strings.TrimLeft(line, "#")
		if fenced || h == line || !strings.HasPrefix(h, " ") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(h)) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			anchors[a+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

// TestMarkdownLinks: every relative link in every Markdown file of the
// repository names a file or folder that exists, and every #anchor a
// heading of its file, so a section moved or renamed in one README
// cannot leave a dangling link in another.
func TestMarkdownLinks(t *testing.T) {
	root := ".."
	anchors := map[string]map[string]bool{} // file -> its headings' anchors
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	anchorsOf := func(p string) map[string]bool {
		if a, ok := anchors[p]; ok {
			return a
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		anchors[p] = mdAnchors(string(b))
		return anchors[p]
	}
	links := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			path, anchor, _ := strings.Cut(target, "#")
			file := f
			if path != "" {
				file = filepath.Join(filepath.Dir(f), path)
				rel, err := filepath.Rel(root, file)
				if err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s: link %q leaves the repository", f, target)
					continue
				}
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s: link %q: no such file %s", f, target, rel)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(file, ".md") && !anchorsOf(file)[anchor] {
				t.Errorf("%s: link %q: %s has no heading with the anchor #%s", f, target, file, anchor)
			}
		}
	}
	if links == 0 {
		t.Fatal("no relative links found: the walk or the pattern is broken")
	}
}

// TestREADMECodeMap: the README's code map names every Go package of the
// module, as `its/path/` or, in a row that groups helpers, by its own
// name in backticks (`failpoint`), so a package added without a row is
// caught here rather than by a newcomer who cannot find it.
func TestREADMECodeMap(t *testing.T) {
	codeMap := readmeSection(t, "../README.md", "### Code map", "\n## ")
	var missing []string
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != ".." || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || filepath.Dir(p) == ".." {
			return nil
		}
		dir := filepath.ToSlash(strings.TrimPrefix(filepath.Dir(p), "../"))
		if strings.Contains(codeMap, "`"+dir+"/`") || strings.Contains(codeMap, "`"+filepath.Base(dir)+"`") {
			return nil
		}
		if len(missing) == 0 || missing[len(missing)-1] != dir {
			missing = append(missing, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range missing {
		t.Errorf("README.md's code map has no row naming %s/", dir)
	}
	if !strings.Contains(codeMap, "`main.go`") {
		t.Error("README.md's code map has no row for main.go")
	}
}

// TestREADMEGoingLiveVolumes: the README's Docker commands keep the
// sandbox's database on a volume of its own. Live start-up refuses a
// database the sandbox has used ("HPP_DATABASE holds sandbox data"), so
// the live container and its check-config share one volume and the
// sandbox another.
func TestREADMEGoingLiveVolumes(t *testing.T) {
	block := readmeSection(t, "../README.md", "## Going live", "```\n\n")
	dataVolume := regexp.MustCompile(`-v ([\w.-]+):/data\b`)
	var sandbox, live, check string
	for line := range strings.SplitSeq(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		if !strings.HasPrefix(line, "docker run") {
			continue
		}
		m := dataVolume.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("a docker run without a /data volume: %s", line)
			continue
		}
		switch {
		case strings.Contains(line, "# sandbox"):
			sandbox = m[1]
		case strings.Contains(line, "--name hpp"):
			live = m[1]
		case strings.Contains(line, "check-config"):
			check = m[1]
		}
	}
	if sandbox == "" || live == "" || check == "" {
		t.Fatalf("Going live's docker run lines not found (sandbox %q, live %q, check-config %q):\n%s", sandbox, live, check, block)
	}
	if sandbox == live {
		t.Errorf("the sandbox and the live shop share the volume %s: live start-up refuses a database the sandbox has used", live)
	}
	if check != live {
		t.Errorf("check-config reads volume %s, the live shop %s: it must check the live database", check, live)
	}
}
