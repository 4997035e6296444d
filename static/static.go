// Package static holds the CSS, JavaScript and images of the pages,
// embedded in the binary, each with its gzip and Brotli forms made once at
// start-up, under content-hashed paths. The handlers package serves them.
//
// It imports the standard library and brotli only. CSS is in css/, scripts
// in js/ (each listed with its reason in
// handlers/testdata/script-inventory.json), images in img/, third-party
// files the app serves itself in vendor/ (each folder's README says where
// from), and embed.js is the merchant's embedding script;
// handlers/assets.go serves them.
//
// Why Brotli as well as gzip: against gzip -9, Brotli at quality 11 makes
// app.css 3,738 -> 3,190 bytes, checkout.js 3,222 -> 2,701 and embed.js
// 1,899 -> 1,552 (measured on 3 December 2026: gzipped and brotlied on
// each file, as New does), 1,069 bytes (15%) less on a checkout, which
// most shoppers load once, so the one-year cache rarely saves them. It is
// not used per response: at a quality that beats gzip on the checkout
// page (5) it costs several times gzip's CPU.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

//go:embed css js img vendor embed.js
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

// New hashes and compresses the embedded files. Brotli at quality 11 is
// slow (about 0.2 s of CPU for the 84 KB here), which is why it happens
// once, and on every processor at once: start-up waits for it.
func New() (*Assets, error) {
	h := sha256.New()
	a := &Assets{byName: map[string]*Asset{}}
	var todo []*Asset
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
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
			todo = append(todo, x)
		}
		a.byName[p] = x
		return nil
	})
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, x := range todo {
		wg.Go(func() {
			slots <- struct{}{}
			x.Gzip, x.Brotli = gzipped(x.Body), brotlied(x.Body)
			<-slots
		})
	}
	wg.Wait()
	a.version = hex.EncodeToString(h.Sum(nil))[:12]
	a.prefix = "/static/" + a.version + "/"
	return a, nil
}

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

// gzipped is b at gzip's best compression, or nil if that is no smaller.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
	_, _ = w.Write(b)                                       // a bytes.Buffer does not fail
	_ = w.Close()
	return smaller(buf.Bytes(), b)
}

// brotlied is b at Brotli's best quality, or nil if that is no smaller.
// The window is the smallest that holds the whole file: a window larger
// than the input compresses no better, and at quality 11 the encoder's
// memory follows the window (the default 4 MB window allocated some
// 35 MB per file, 649 MB for the 19 files here, which a collector target
// of 400 then kept as the idle process's memory).
func brotlied(b []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: brotliWindow(len(b))})
	_, _ = w.Write(b)
	_ = w.Close()
	return smaller(buf.Bytes(), b)
}

// brotliWindow is the base-2 logarithm of the smallest Brotli window
// (10 to 24) that holds n bytes.
func brotliWindow(n int) int {
	w := 10
	for w < 24 && 1<<w-16 < n { // a window holds 2^w - 16 bytes
		w++
	}
	return w
}

func smaller(enc, plain []byte) []byte {
	if len(enc) >= len(plain) {
		return nil
	}
	return enc
}
