package handlers

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// CSPReportPath receives the browsers' Content-Security-Policy violation
// reports (report-uri, and the Reporting API endpoint "csp").
const CSPReportPath = "/csp-report"

const (
	maxCSPReportBody = 8 << 10 // a report is well under 2 KiB
	maxCSPReports    = 5       // reports logged from one Reporting API batch
	maxCSPField      = 120     // characters kept of one logged field
)

// cspViolation is the part of a report that is logged.
type cspViolation struct {
	Directive   string
	Blocked     string
	Document    string
	Source      string
	Disposition string
}

// handleCSPReport serves POST /csp-report. It takes the report-uri form
// (application/csp-report) and the Reporting API form
// (application/reports+json), logs one compact warning per violation, with
// URLs cut to origin and path and payment ids masked, and answers 204. It
// changes nothing, so browsers may post it from any origin.
func (s *Server) handleCSPReport() gin.HandlerFunc {
	return func(c *gin.Context) {
		mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxCSPReportBody)
		var vs []cspViolation
		var err error
		switch mt {
		case "application/csp-report", "application/json":
			vs, err = decodeCSPReport(c.Request.Body)
		case "application/reports+json":
			vs, err = decodeReportsJSON(c.Request.Body)
		default:
			c.String(http.StatusUnsupportedMediaType, "csp report expected")
			return
		}
		if err != nil {
			c.String(http.StatusBadRequest, "malformed report")
			return
		}
		for _, v := range vs {
			s.log.Warn("csp violation", "request_id", requestID(c), "directive", v.Directive,
				"blocked", v.Blocked, "document", v.Document, "source", v.Source,
				"disposition", v.Disposition, "client", c.ClientIP())
		}
		c.Status(http.StatusNoContent)
	}
}

// decodeCSPReport reads {"csp-report": {...}} (CSP level 2, report-uri).
func decodeCSPReport(r io.Reader) ([]cspViolation, error) {
	var body struct {
		Report *struct {
			Document    string `json:"document-uri"`
			Violated    string `json:"violated-directive"`
			Effective   string `json:"effective-directive"`
			Blocked     string `json:"blocked-uri"`
			Source      string `json:"source-file"`
			Disposition string `json:"disposition"`
		} `json:"csp-report"`
	}
	if err := json.NewDecoder(r).Decode(&body); err != nil {
		return nil, err
	}
	if body.Report == nil {
		return nil, errBadRequest
	}
	x := body.Report
	d := x.Effective
	if d == "" {
		d = x.Violated
	}
	return []cspViolation{newCSPViolation(d, x.Blocked, x.Document, x.Source, x.Disposition)}, nil
}

// decodeReportsJSON reads a Reporting API batch and keeps the first
// csp-violation reports.
func decodeReportsJSON(r io.Reader) ([]cspViolation, error) {
	var batch []struct {
		Type string `json:"type"`
		Body struct {
			Document    string `json:"documentURL"`
			Blocked     string `json:"blockedURL"`
			Directive   string `json:"effectiveDirective"`
			Source      string `json:"sourceFile"`
			Disposition string `json:"disposition"`
		} `json:"body"`
	}
	if err := json.NewDecoder(r).Decode(&batch); err != nil {
		return nil, err
	}
	var out []cspViolation
	for _, x := range batch {
		if x.Type != "csp-violation" || len(out) == maxCSPReports {
			continue
		}
		b := x.Body
		out = append(out, newCSPViolation(b.Directive, b.Blocked, b.Document, b.Source, b.Disposition))
	}
	return out, nil
}

func newCSPViolation(directive, blocked, document, source, disposition string) cspViolation {
	return cspViolation{Directive: clip(directive), Blocked: reportURL(blocked), Document: reportURL(document),
		Source: reportURL(source), Disposition: clip(disposition)}
}

// reportURL keeps a reported URL's origin and path, without query or
// fragment (they may carry link signatures and socket tokens), and masks
// the payment id of checkout paths, as the request log does. Keywords
// such as "inline" or "eval" pass as they are.
func reportURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			raw = raw[:i]
		}
		return clip(raw)
	}
	path := u.EscapedPath()
	if rest, ok := strings.CutPrefix(path, "/checkout/"); ok {
		_, tail, _ := strings.Cut(rest, "/")
		path = "/checkout/:id"
		if tail != "" {
			path += "/" + tail
		}
	}
	return clip(u.Scheme + "://" + u.Host + path)
}

func clip(s string) string {
	if len(s) > maxCSPField {
		return s[:maxCSPField] + "…"
	}
	return s
}
