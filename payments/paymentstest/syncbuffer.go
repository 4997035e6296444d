package paymentstest

import (
	"bytes"
	"sync"
)

// SyncBuffer is an io.Writer and fmt.Stringer safe for concurrent use: a
// server's log or a helper process's output that a test reads while other
// goroutines still write to it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
