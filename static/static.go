// Package static holds the CSS and JavaScript of the pages, embedded in the
// binary, and serves them under content-hashed paths.
//
// It imports only the standard library. CSS is in css/, scripts in js/
// (each listed with its reason in handlers/testdata/script-inventory.json),
// images in img/, and embed.js is the merchant's embedding script.
// Assets serves them; handlers/routes.go mounts it.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed css js img embed.js
var files embed.FS

// Assets serves the embedded files under /static/<hash>/<name>, where the
// hash covers every file, so a new release never meets a stale cache.
type Assets struct {
	prefix  string // "/static/<hash>"
	version string
	fsys    fs.FS
}

// New hashes the embedded files and returns the asset server.
func New() (*Assets, error) {
	h := sha256.New()
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	v := hex.EncodeToString(h.Sum(nil))[:12]
	return &Assets{prefix: "/static/" + v, version: v, fsys: files}, nil
}

// Path returns the URL path of an embedded file, e.g. Path("css/app.css").
func (a *Assets) Path(name string) string { return a.prefix + "/" + name }

// File returns an embedded file's content.
func (a *Assets) File(name string) ([]byte, error) { return fs.ReadFile(a.fsys, name) }

// ServeHTTP serves /static/<hash>/<name>. Only the current hash is served:
// an old or unknown one is 404, never a stale file under a cached name.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, a.prefix+"/")
	if !ok || rest == "" || strings.Contains(rest, "..") {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(a.fsys, path.Clean(rest))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(rest) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
}
