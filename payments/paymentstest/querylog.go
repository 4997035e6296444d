package paymentstest

import (
	"net/http"
	"slices"
	"strings"
	"sync"
)

// QueryLog records the Latipay query calls (GET /v2/transaction/REF) that
// pass through the handlers it wraps: how many each caller made per
// reference, and every reference queried by two callers at once, which
// the reconciler's claim must prevent. Give each instance its own Wrap of
// one simulator to tell instances apart. It is safe for concurrent use.
type QueryLog struct {
	mu       sync.Mutex
	count    map[string]map[string]int // caller -> reference -> queries answered
	inflight map[string]int            // reference -> queries being answered now
	overlap  []string                  // references queried twice at once
}

// NewQueryLog returns an empty QueryLog.
func NewQueryLog() *QueryLog {
	return &QueryLog{count: map[string]map[string]int{}, inflight: map[string]int{}}
}

// Wrap returns h with the queries that reach it recorded under caller.
func (q *QueryLog) Wrap(caller string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref, isQuery := strings.CutPrefix(r.URL.Path, "/v2/transaction/")
		if !isQuery || r.Method != http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		q.mu.Lock()
		q.inflight[ref]++
		if q.inflight[ref] > 1 {
			q.overlap = append(q.overlap, ref)
		}
		q.mu.Unlock()
		h.ServeHTTP(w, r)
		q.mu.Lock()
		q.inflight[ref]--
		if q.count[caller] == nil {
			q.count[caller] = map[string]int{}
		}
		q.count[caller][ref]++
		q.mu.Unlock()
	})
}

// Count is how many queries of ref caller made (every caller's for "").
func (q *QueryLog) Count(caller, ref string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for c, refs := range q.count {
		if caller == "" || c == caller {
			n += refs[ref]
		}
	}
	return n
}

// Total is how many queries caller made, of any reference.
func (q *QueryLog) Total(caller string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, c := range q.count[caller] {
		n += c
	}
	return n
}

// Overlaps are the references that were queried by two callers at once.
func (q *QueryLog) Overlaps() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.overlap)
}
