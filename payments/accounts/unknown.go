package accounts

import (
	"strings"
	"sync"
	"time"
)

// maxUnknown bounds the emails without an account whose failed sign-ins
// are counted: each entry is some 100 bytes, so the table stays under a
// few MiB however many addresses are tried.
const maxUnknown = 20000

// unknownEmails counts failed sign-ins of emails that have no account,
// exactly as an account counts its own (MaxFailures in a row lock it for
// LockFor), so that the answers to a run of wrong passwords do not tell
// whether an email has an account. It lives in memory, per instance:
// nothing is written for an address that is not a person's, and the
// table is bounded (maxUnknown), dropping ended locks first.
type unknownEmails struct {
	mu sync.Mutex
	m  map[string]*unknownEmail
}

type unknownEmail struct {
	failures    int
	lockedUntil time.Time
}

// key is the table's key of an email as typed: its normal form, or when
// it has none (no account can have it) the same trimming and lower
// casing, kept as a digest so a long one costs no more.
func unknownKey(email, normal string) string {
	if normal == "" {
		normal = strings.ToLower(strings.TrimSpace(email))
	}
	return digest(normal)
}

// locked reports whether the email is locked at now.
func (u *unknownEmails) locked(key string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	e := u.m[key]
	return e != nil && now.Before(e.lockedUntil)
}

// fail counts a failure of the email at now and reports whether it locks
// it, as SignIn does for an account.
func (u *unknownEmails) fail(key string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = make(map[string]*unknownEmail)
	}
	e := u.m[key]
	if e == nil {
		if len(u.m) >= maxUnknown {
			u.evict(now)
		}
		e = &unknownEmail{}
		u.m[key] = e
	}
	e.failures++
	if e.failures >= MaxFailures {
		e.failures, e.lockedUntil = 0, now.Add(LockFor)
		return true
	}
	return false
}

// evict makes room: entries not locked at now go first, then, if every
// entry is locked, any quarter of them.
func (u *unknownEmails) evict(now time.Time) {
	for k, e := range u.m {
		if !now.Before(e.lockedUntil) {
			delete(u.m, k)
		}
	}
	for k := range u.m {
		if len(u.m) < maxUnknown*3/4 {
			break
		}
		delete(u.m, k)
	}
}
