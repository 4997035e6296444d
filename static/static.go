// Package static holds the CSS, JavaScript and images of the pages,
// embedded in the binary under content-hashed paths, each with its gzip
// and Brotli forms. The handlers package serves them.
//
// It imports the standard library only. CSS is in css/, scripts in js/
// (each listed with its reason in handlers/testdata/script-inventory.json),
// images in img/, third-party files the app serves itself in vendor/ (each
// folder's README says where from), and embed.js is the merchant's
// embedding script; handlers/assets.go serves them.
//
// The compressed forms are made at build time, not at start-up: `go
// generate ./static` (precompress.go) writes name.gz and name.br next to
// each file but vendor/'s, and they are committed and embedded. After
// editing a file here, run it and commit the forms: TestCompressedForms
// fails when a form does not decode to its file or is missing, and CI
// regenerates them and fails on any difference, as it does for templ.
// Built once by the developer, the forms are the same on every start and
// every machine, and start-up neither spends the CPU nor holds the memory:
// Brotli at quality 11 took about 0.2 s of CPU for these 84 KB, 58% of
// start-up's CPU samples, and left its buffers in the idle process's heap.
//
// Why Brotli as well as gzip: against gzip -9, Brotli at quality 11 makes
// app.css 3,738 -> 3,190 bytes, checkout.js 3,222 -> 2,701 and embed.js
// 1,899 -> 1,552 (measured on 3 December 2026), 1,069 bytes (15%) less on
// a checkout, which most shoppers load once, so the one-year cache rarely
// saves them. It is not used per response: at a quality that beats gzip
// on the checkout page (5) it costs several times gzip's CPU.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:generate go run precompress.go

//go:embed css js img vendor embed.js embed.js.gz embed.js.br
var files embed.FS

// Asset is one embedded file and its precompressed forms.
type Asset struct {
	Type string // Content-Type
	Body []byte
	// Gzip and Brotli are Body compressed at the best level each has;
	// nil where compressing does not make the file smaller (never for
	// our text files, which shrink to a third).
	Gzip, Brotli []byte
}

// Assets serves the embedded files under /static/<hash>/<name>, where the
// hash covers every file, so a new release never meets a stale cache.
type Assets struct {
	prefix  string            // "/static/<hash>/"
	byName  map[string]*Asset // by file name, e.g. "css/app.css"; read-only after New
	version string
}

// New hashes the embedded files and attaches each one's committed gzip
// and Brotli forms (precompress.go). A file outside vendor/ without its
// forms is an error: the build missed `go generate ./static`.
func New() (*Assets, error) {
	h := sha256.New()
	a := &Assets{byName: map[string]*Asset{}}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || isForm(p) {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write(b)
		x := &Asset{Type: contentType(p), Body: b}
		if !strings.HasPrefix(p, "vendor/") { // vendor/ is served as it is: see its README
			gz, err1 := files.ReadFile(p + ".gz")
			br, err2 := files.ReadFile(p + ".br")
			if err1 != nil || err2 != nil {
				return fmt.Errorf("static: %s has no compressed forms: run go generate ./static", p)
			}
			x.Gzip, x.Brotli = smaller(gz, b), smaller(br, b)
		}
		a.byName[p] = x
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.version = hex.EncodeToString(h.Sum(nil))[:12]
	a.prefix = "/static/" + a.version + "/"
	return a, nil
}

// isForm reports whether p is a compressed form of another file.
func isForm(p string) bool { return strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".br") }

// Path returns the URL path of an embedded file, e.g. Path("css/app.css").
func (a *Assets) Path(name string) string { return a.prefix + name }

// Lookup returns the embedded file name, e.g. "embed.js".
func (a *Assets) Lookup(name string) (*Asset, bool) {
	x, ok := a.byName[name]
	return x, ok
}

// Open returns the file at urlPath, /static/<hash>/<name>. Only the
// current hash is served: an old or unknown one finds nothing, never a
// stale file under a cached name.
func (a *Assets) Open(urlPath string) (*Asset, bool) {
	rest, ok := strings.CutPrefix(urlPath, a.prefix)
	if !ok || rest == "" || strings.Contains(rest, "..") {
		return nil, false
	}
	return a.Lookup(path.Clean(rest))
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".wasm":
		return "application/wasm"
	}
	return "application/octet-stream"
}

// smaller is enc, or nil if it is no smaller than plain (a tiny file
// can grow by its format's header).
func smaller(enc, plain []byte) []byte {
	if len(enc) >= len(plain) {
		return nil
	}
	return enc
}
