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
	"sync"
)

//go:generate go run precompress.go

//go:embed css js img vendor embed.js embed.js.gz embed.js.br
var files embed.FS

// version is the content hash of every embedded file (Sources), written
// by precompress.go so that start-up reads none of them.
//
//go:embed version.txt
var version string

// Asset is one embedded file and its precompressed forms, read from the
// binary's embedded data on first use: start-up touches none of them
// (the barcode reader's WebAssembly alone is 1 MB, which only the
// counter's scanner loads).
type Asset struct {
	Type string // Content-Type
	name string
	zip  bool // has forms (all but vendor/)
	once sync.Once
	body []byte
	// gz and br are body compressed at the best level each has; nil
	// where compressing does not make the file smaller (never for our
	// text files, which shrink to a third).
	gz, br []byte
}

// Body is the file.
func (x *Asset) Body() []byte { x.load(); return x.body }

// Gzip is the file gzipped, or nil (see Asset).
func (x *Asset) Gzip() []byte { x.load(); return x.gz }

// Brotli is the file in Brotli, or nil (see Asset).
func (x *Asset) Brotli() []byte { x.load(); return x.br }

func (x *Asset) load() {
	x.once.Do(func() {
		// New saw the file and its forms: reading embedded data cannot fail.
		x.body, _ = files.ReadFile(x.name)
		if x.zip {
			gz, _ := files.ReadFile(x.name + ".gz")
			br, _ := files.ReadFile(x.name + ".br")
			x.gz, x.br = smaller(gz, x.body), smaller(br, x.body)
		}
	})
}

// Assets serves the embedded files under /static/<hash>/<name>, where the
// hash covers every file, so a new release never meets a stale cache.
type Assets struct {
	prefix string            // "/static/<hash>/"
	byName map[string]*Asset // by file name, e.g. "css/app.css"; read-only after New
}

// New lists the embedded files, each with its committed gzip and Brotli
// forms (precompress.go), and reads none of them. A file outside vendor/
// without its forms is an error: the build missed `go generate ./static`.
func New() (*Assets, error) {
	a := &Assets{byName: map[string]*Asset{}, prefix: "/static/" + strings.TrimSpace(version) + "/"}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || isForm(p) {
			return err
		}
		x := &Asset{Type: contentType(p), name: p, zip: Compressed(p)}
		if x.zip {
			_, err1 := fs.Stat(files, p+".gz")
			_, err2 := fs.Stat(files, p+".br")
			if err1 != nil || err2 != nil {
				return fmt.Errorf("static: %s has no compressed forms: run go generate ./static", p)
			}
		}
		a.byName[p] = x
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Sources lists the files of fsys that New serves (the embedded set,
// without the compressed forms) and returns the content hash of them all,
// which names the URL prefix. precompress.go calls it on the source
// folder and writes version.txt; TestCompressedForms on the embedded
// files, so a file changed without `go generate ./static` fails it.
func Sources(fsys fs.FS) (names []string, version string, err error) {
	h := sha256.New()
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || isForm(p) || !embedded(p) {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write(b)
		names = append(names, p)
		return nil
	})
	return names, hex.EncodeToString(h.Sum(nil))[:12], err
}

// embedded reports whether p is in the go:embed list above.
func embedded(p string) bool {
	top, _, _ := strings.Cut(p, "/")
	return p == "embed.js" || (top != p && (top == "css" || top == "js" || top == "img" || top == "vendor"))
}

// Compressed reports whether the embedded file p is served compressed,
// from forms made by precompress.go: all but vendor/'s, which are served
// as they are (see its README).
func Compressed(p string) bool { return !strings.HasPrefix(p, "vendor/") }

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
