package cli

import (
	"io"
	"log/slog"
	"sync"
	"time"
)

// The access log's lines are written in batches.
//
// Every request logs one line, and each line was one write(2) to the
// log (stderr: a pipe to the container's collector, a file, journald),
// made while slog's handler held its lock: about a twelfth of the app's
// CPU per checkout page in e2e/load's profile, and the other core
// waiting on that lock for the next line. Access lines now go to
// memory and leave in one write per accessLogDelay (or sooner when
// accessLogBuffer bytes wait). Every other line (start-up, warnings,
// errors) is written at once, as before, after the access lines queued
// before it, so the log keeps the order in which lines were logged.
//
// What it costs: the access lines of the last accessLogDelay are lost if
// the process dies without running its deferred calls (SIGKILL, a fatal
// runtime error); run writes them on every return. Nothing but access
// lines waits.

// accessLogDelay is how long an access line may wait for others to join
// it.
const accessLogDelay = 20 * time.Millisecond

// accessLogBuffer is how many bytes of access lines may wait: past it,
// the line that crosses it writes them all at once.
const accessLogBuffer = 256 << 10

// logWriter writes to w: at once through Write, in batches through
// deferred.
type logWriter struct {
	w io.Writer

	out sync.Mutex // held while writing to w: one write at a time, in order

	mu      sync.Mutex // guards what follows
	queued  []byte     // access lines not yet written
	spare   []byte     // a buffer for queued to reuse
	waking  bool       // the flusher has been told of queued
	stopped bool       // after stop, deferred lines are written at once

	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

func newLogWriter(w io.Writer) *logWriter {
	l := &logWriter{w: w, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go l.flusher()
	return l
}

// Write writes the lines queued so far and then p, in one write.
func (l *logWriter) Write(p []byte) (int, error) {
	l.out.Lock()
	defer l.out.Unlock()
	l.mu.Lock()
	q := l.queued
	if len(q) == 0 {
		l.mu.Unlock()
		return l.w.Write(p)
	}
	l.queued = append(q, p...)
	b := l.takeLocked()
	l.mu.Unlock()
	_, err := l.w.Write(b)
	l.giveBack(b)
	return len(p), err
}

// deferredWriter queues its lines on a logWriter.
type deferredWriter struct{ l *logWriter }

// Write queues p (a whole line: slog writes a record in one call).
func (d deferredWriter) Write(p []byte) (int, error) {
	l := d.l
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return l.Write(p)
	}
	l.queued = append(l.queued, p...)
	full := len(l.queued) >= accessLogBuffer
	if !full && !l.waking {
		l.waking = true
		l.wake <- struct{}{} // never blocks: one token, taken before waking is cleared
	}
	l.mu.Unlock()
	if full {
		l.flush()
	}
	return len(p), nil
}

// takeLocked hands over the queued lines; l.mu is held.
func (l *logWriter) takeLocked() []byte {
	b := l.queued
	l.queued, l.spare = l.spare[:0], nil
	return b
}

// giveBack keeps b's storage for the next batch, unless it grew large.
func (l *logWriter) giveBack(b []byte) {
	if cap(b) > 2*accessLogBuffer {
		return
	}
	l.mu.Lock()
	if l.spare == nil {
		l.spare = b[:0]
	}
	l.mu.Unlock()
}

// flush writes the queued lines.
func (l *logWriter) flush() {
	l.out.Lock()
	defer l.out.Unlock()
	l.mu.Lock()
	b := l.takeLocked()
	l.mu.Unlock()
	if len(b) > 0 {
		_, _ = l.w.Write(b)
	}
	l.giveBack(b)
}

func (l *logWriter) flusher() {
	defer close(l.done)
	t := time.NewTimer(accessLogDelay)
	t.Stop()
	for {
		select {
		case <-l.wake:
		case <-l.quit:
			return
		}
		t.Reset(accessLogDelay)
		select {
		case <-t.C:
		case <-l.quit:
			t.Stop()
			return
		}
		l.mu.Lock()
		l.waking = false
		l.mu.Unlock()
		l.flush()
	}
}

// stop writes what is queued and makes every later line go out at once.
func (l *logWriter) stop() {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.stopped = true
	l.mu.Unlock()
	close(l.quit)
	<-l.done
	l.flush()
}

// NewLogs is NewLogger's log for w, with a second logger for the access
// log whose lines are written in batches (above), and what writes the
// waiting ones: run calls it before it returns. On a terminal both are
// the same logger, written at once (a person reads it as it comes).
func NewLogs(w io.Writer, level slog.Level) (log, access *slog.Logger, flush func()) {
	if isTerminal(w) {
		log = NewLogger(w, level)
		return log, log, func() {}
	}
	l := newLogWriter(w)
	opts := &slog.HandlerOptions{Level: level}
	return slog.New(slog.NewJSONHandler(l, opts)), slog.New(slog.NewJSONHandler(deferredWriter{l}, opts)), l.stop
}
