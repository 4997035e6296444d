package latipaysim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Faults are misbehaviours the simulator can be told to show. The zero value
// is a well-behaved Latipay. "API calls" are create, gatewaydata, query,
// refund and cancel; the hosted page and the control endpoints never fail.
type Faults struct {
	// Delay is slept before answering API calls; a cancelled request stops it.
	Delay time.Duration
	// ServerError answers API calls with HTTP 500 and an HTML body before
	// doing anything, so no state changes.
	ServerError bool
	// MalformedJSON performs API calls but truncates the JSON answer, as a
	// connection cut after the commit would.
	MalformedJSON bool
	// WrongSignature signs create, gatewaydata and query responses, callbacks
	// and return redirects with a wrong key.
	WrongSignature bool
	// DropCallbacks sends no callbacks while set; deliveries resume when it
	// is cleared. Queries still report the truth.
	DropCallbacks bool
	// DuplicateCallbacks sends every callback attempt twice, concurrently.
	DuplicateCallbacks bool
	// RefundCode, when non-zero, is answered by the refund endpoint instead
	// of processing the refund.
	RefundCode int
	// RefuseRefundsEvery, when n > 0, refuses every nth valid refund
	// request with code 556, as Latipay does for an order it cannot refund
	// now. A repeat of a refund already made is still answered 562.
	RefuseRefundsEvery int
	// LoseRefundAnswersEvery, when n > 0, makes every nth refund that is
	// made (counting from the first refund made under this switch) but cuts
	// its answer short, as a connection lost after Latipay committed would.
	LoseRefundAnswersEvery int
}

// faultsJSON is the wire form of Faults used by GET and POST /faults; Delay
// is a Go duration string such as "250ms".
type faultsJSON struct {
	Delay              string `json:"delay,omitempty"`
	ServerError        bool   `json:"server_error"`
	MalformedJSON      bool   `json:"malformed_json"`
	WrongSignature     bool   `json:"wrong_signature"`
	DropCallbacks      bool   `json:"drop_callbacks"`
	DuplicateCallbacks bool   `json:"duplicate_callbacks"`
	RefundCode         int    `json:"refund_code"`
	RefuseRefundsEvery int    `json:"refuse_refunds_every,omitempty"`
	LoseRefundAnswers  int    `json:"lose_refund_answers_every,omitempty"`
}

// MarshalJSON encodes f with snake_case names and Delay as a duration string.
func (f Faults) MarshalJSON() ([]byte, error) {
	j := faultsJSON{ServerError: f.ServerError, MalformedJSON: f.MalformedJSON,
		WrongSignature: f.WrongSignature, DropCallbacks: f.DropCallbacks,
		DuplicateCallbacks: f.DuplicateCallbacks, RefundCode: f.RefundCode,
		RefuseRefundsEvery: f.RefuseRefundsEvery, LoseRefundAnswers: f.LoseRefundAnswersEvery}
	if f.Delay != 0 {
		j.Delay = f.Delay.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the form written by MarshalJSON.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var d time.Duration
	if j.Delay != "" {
		var err error
		if d, err = time.ParseDuration(j.Delay); err != nil || d < 0 {
			return fmt.Errorf("latipaysim: bad delay %q", j.Delay)
		}
	}
	*f = Faults{Delay: d, ServerError: j.ServerError, MalformedJSON: j.MalformedJSON,
		WrongSignature: j.WrongSignature, DropCallbacks: j.DropCallbacks,
		DuplicateCallbacks: j.DuplicateCallbacks, RefundCode: j.RefundCode,
		RefuseRefundsEvery: j.RefuseRefundsEvery, LoseRefundAnswersEvery: j.LoseRefundAnswers}
	if f.RefuseRefundsEvery < 0 || f.LoseRefundAnswersEvery < 0 {
		return fmt.Errorf("latipaysim: refund fault counts must not be negative")
	}
	return nil
}

// SetFaults replaces the current faults. They apply from the next request or
// callback attempt on.
func (s *Simulator) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.refundsSeen, s.refundsMade = 0, 0
}

// Faults returns the current faults.
func (s *Simulator) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// responseKey is the key for signing what the simulator sends on behalf of
// m: the merchant's key, or a wrong one under the WrongSignature fault.
func (s *Simulator) responseKey(m *Merchant) string {
	if s.Faults().WrongSignature {
		return "wrong-" + m.APIKey
	}
	return m.APIKey
}

// api wraps an API endpoint with the Delay, ServerError and MalformedJSON
// faults.
func (s *Simulator) api(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := s.Faults()
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if f.ServerError {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "<html><head><title>500 Internal Server Error</title></head>"+
				"<body><h1>500 Internal Server Error</h1></body></html>\n")
			return
		}
		if !f.MalformedJSON {
			next(w, r)
			return
		}
		buf := &bufferWriter{header: w.Header(), status: http.StatusOK}
		next(buf, r)
		body := buf.body.Bytes()
		w.WriteHeader(buf.status)
		w.Write(body[:len(body)/2])
	}
}

// bufferWriter is an http.ResponseWriter that keeps the body in memory.
type bufferWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}

// handleFaultsGet serves GET /faults.
func (s *Simulator) handleFaultsGet(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

// handleFaultsSet serves POST /faults: the JSON body replaces all faults.
func (s *Simulator) handleFaultsSet(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Code: 1, Message: "bad faults JSON"})
		return
	}
	s.SetFaults(f)
	writeJSON(w, http.StatusOK, f)
}
