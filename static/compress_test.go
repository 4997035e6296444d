package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestCompressedForms is the drift check of precompress.go's output:
// every embedded file outside vendor/ has a gzip and a Brotli form, each
// decodes to the file as it is now (a file edited without `go generate
// ./static` fails here), no form is left without its file, version.txt is
// the hash of the files as they are, and New serves the forms as the
// file's Gzip and Brotli.
func TestCompressedForms(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if _, v, err := Sources(files); err != nil || a.Path("x") != "/static/"+v+"/x" {
		t.Errorf("version.txt is stale (want %s; %v): run go generate ./static", v, err)
	}
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if isForm(p) {
			if _, err := fs.Stat(files, p[:len(p)-3]); err != nil {
				t.Errorf("%s: no file of that name: delete the form or run go generate ./static", p)
			}
			return nil
		}
		if strings.HasPrefix(p, "vendor/") {
			return nil
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		for ext, decode := range map[string]func([]byte) ([]byte, error){".gz": gunzip, ".br": unbrotli} {
			form, err := files.ReadFile(p + ext)
			if err != nil {
				t.Errorf("%s%s is missing: run go generate ./static", p, ext)
				continue
			}
			if got, err := decode(form); err != nil || !bytes.Equal(got, body) {
				t.Errorf("%s%s does not decode to %s (%v): run go generate ./static", p, ext, p, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, x := range a.byName {
		if isForm(name) {
			t.Errorf("%s is served as a file of its own", name)
		}
		if x.Brotli() == nil || x.Gzip() == nil {
			continue
		}
		n++
		for _, f := range []struct {
			form   []byte
			decode func([]byte) ([]byte, error)
		}{{x.Gzip(), gunzip}, {x.Brotli(), unbrotli}} {
			if got, err := f.decode(f.form); err != nil || !bytes.Equal(got, x.Body()) {
				t.Errorf("%s: a served form does not decode to the file (%v)", name, err)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d assets are served compressed", n)
	}
}

func gunzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func unbrotli(b []byte) ([]byte, error) { return io.ReadAll(brotli.NewReader(bytes.NewReader(b))) }
