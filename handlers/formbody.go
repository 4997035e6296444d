package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// The caps on a form's body, in bytes. Each fits its largest real input
// percent-encoded (a character outside ASCII takes up to 9 bytes, three
// %XX for each of its UTF-8 bytes), with room to spare; net/http's own
// cap, 10 MB, and gin's multipart memory, 32 MB, are far above them.
const (
	// maxFormBody is for the forms of the checkout, payment links, the
	// counter and the display: a method, an amount, a code, a PIN, a
	// 100-character note.
	maxFormBody = 8 << 10
	// maxStaffFormBody is for the back office, whose largest forms hold
	// three passwords of up to 1024 bytes (changing one's password:
	// about 9.3 KiB encoded at worst) or a link's three 200-character
	// descriptions (about 5.4 KiB).
	maxStaffFormBody = 16 << 10
)

var (
	errBodyTooLarge = errors.New("handlers: request body too large")
	errFormType     = errors.New("handlers: form body not url-encoded")
)

// formBody guards the body of a form POST (urlencoded, as every form of
// the app is) before anything reads it: a multipart body is refused 415;
// one whose Content-Length is over limit is refused 413 before a byte of
// it is read; any other is read through http.MaxBytesReader, parsed here,
// and refused 413 as soon as it passes limit. The handler then reads the
// parsed form (c.PostForm). Other methods pass untouched, and a body of
// another type is left unread (the form functions do not read it). Mount
// it after the area's headers, so the refusal is the area's page (or the
// counter's JSON).
func (s *Server) formBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := readForm(c.Writer, c.Request, limit); err != nil {
			s.respondError(c, err)
		}
	}
}

// formBodyJSON is formBody for a route whose caller, a page's script,
// reads its errors as the API's JSON.
func (s *Server) formBodyJSON(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := readForm(c.Writer, c.Request, limit); err != nil {
			c.Set("api", true)
			s.respondError(c, err)
		}
	}
}

// readForm parses r's form for formBody: errFormType for a multipart
// body, errBodyTooLarge for one over limit bytes.
func readForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	if r.Method != http.MethodPost {
		return nil
	}
	if ct := strings.TrimSpace(r.Header.Get("Content-Type")); len(ct) >= 10 && strings.EqualFold(ct[:10], "multipart/") {
		return errFormType
	}
	if r.ContentLength > limit {
		return errBodyTooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	// Other errors (a bad %-escape) are left as gin leaves them: the
	// fields read before it stay, and the handler judges what is missing.
	var tooLarge *http.MaxBytesError
	if err := r.ParseForm(); errors.As(err, &tooLarge) {
		return errBodyTooLarge
	}
	return nil
}
