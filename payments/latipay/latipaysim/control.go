package latipaysim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// Errors returned by the controls.
var (
	// ErrNotFound means no transaction has the given merchant reference.
	ErrNotFound = errors.New("latipaysim: transaction not found")
	// ErrNotPending means the transaction is already paid, failed or canceled.
	ErrNotPending = errors.New("latipaysim: transaction is not pending")
	// ErrBadStatus means Simulate was asked for a status other than paid or failed.
	ErrBadStatus = errors.New("latipaysim: status must be paid or failed")
)

// Pay completes the pending transaction ref as paid, as the wallet would:
// it records the payment and starts sending the signed callback.
func (s *Simulator) Pay(ref string) error { return s.complete(ref, statusPaid) }

// Fail completes the pending transaction ref as failed and starts sending
// the signed callback.
func (s *Simulator) Fail(ref string) error { return s.complete(ref, statusFailed) }

// Simulate completes the pending transaction ref with status "paid" or
// "failed"; see Pay and Fail.
func (s *Simulator) Simulate(ref, status string) error {
	switch status {
	case statusPaid, statusFailed:
		return s.complete(ref, status)
	}
	return fmt.Errorf("%w: %q", ErrBadStatus, status)
}

// complete moves a pending transaction to status and starts its callback.
func (s *Simulator) complete(ref, status string) error {
	t, err := s.change(context.Background(), ref, func(t *txn) (bool, error) {
		if t.Status != statusPending {
			return false, fmt.Errorf("%w: %q is %s", ErrNotPending, ref, t.Status)
		}
		t.setStatus(status, s.now())
		return true, nil
	})
	if err != nil {
		return err
	}
	if t == nil {
		return fmt.Errorf("%w: %q", ErrNotFound, ref)
	}
	s.startCallback(t)
	return nil
}

// controlResult is the JSON answer of the control endpoints.
type controlResult struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// simulateRequest is the body of POST /simulate, form-encoded or JSON.
type simulateRequest struct {
	MerchantReference string `json:"merchant_reference"`
	Status            string `json:"status"`
	Redirect          string `json:"redirect"`
}

// readSimulate reads the fields of POST /simulate: from a JSON object when
// the request says application/json, else from the form
// (application/x-www-form-urlencoded or multipart/form-data; a request
// with no body may give them in the query). Any other media type is a
// problem, answered 415: read as a form it would hold no field, and the
// answer would blame the status rather than the encoding.
func readSimulate(r *http.Request) (simulateRequest, int, string) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var in simulateRequest
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return in, http.StatusBadRequest, `the body must be a JSON object of strings: {"merchant_reference":"…","status":"paid"} (redirect optional)`
		}
		return in, 0, ""
	case "", "application/x-www-form-urlencoded", "multipart/form-data":
		return simulateRequest{MerchantReference: r.FormValue("merchant_reference"), Status: r.FormValue("status"),
			Redirect: r.FormValue("redirect")}, 0, ""
	}
	return simulateRequest{}, http.StatusUnsupportedMediaType,
		"send the fields form-encoded (application/x-www-form-urlencoded) or as JSON (application/json), not " + mt
}

// handleSimulate serves POST /simulate, the unsigned control endpoint.
// Fields, form-encoded or a JSON object: merchant_reference, status (paid
// or failed), and optionally redirect, a local path to 303 to afterwards.
// A transaction that is no longer pending is answered 409, or still
// redirected.
func (s *Simulator) handleSimulate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	in, code, problem := readSimulate(r)
	if code != 0 {
		writeJSON(w, code, controlResult{Code: 207, Message: problem})
		return
	}
	ref, status, redirect := in.MerchantReference, in.Status, in.Redirect
	err := s.Simulate(ref, status)
	switch {
	case err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrBadStatus) && !errors.Is(err, ErrNotPending):
		s.ledgerFailed(w, err)
		return
	case errors.Is(err, ErrNotFound):
		writeJSON(w, http.StatusNotFound, controlResult{Code: 201, Message: "order not exist"})
		return
	case errors.Is(err, ErrBadStatus):
		writeJSON(w, http.StatusBadRequest, controlResult{Code: 207, Message: "status must be paid or failed"})
		return
	case errors.Is(err, ErrNotPending) && !localPath(redirect):
		writeJSON(w, http.StatusConflict, controlResult{Code: 1, Message: "transaction is not pending"})
		return
	}
	if localPath(redirect) {
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, controlResult{Message: "SUCCESS"})
}

// localPath reports whether p is a path on this origin: it starts with one
// "/" and is not protocol-relative ("//" or "/\", which browsers treat alike).
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, `/\`) &&
		!strings.ContainsAny(p, "\t\r\n")
}

// handleLedger serves GET /ledger: Ledger() as JSON.
func (s *Simulator) handleLedger(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Ledger())
}
