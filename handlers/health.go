package handlers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// handleHealth serves GET /healthz: the process is up.
func (s *Server) handleHealth() gin.HandlerFunc {
	return func(c *gin.Context) { c.String(http.StatusOK, "ok") }
}

// handleReady serves GET /readyz: the database can be read and written.
// While the store's last write failed for the disk's sake (full, an I/O
// error) and none has committed since, it answers 503 saying so and
// when: the probe's own check never needs disk space, so a full disk
// shows only in real writes. The reason another check fails (for a
// damaged file: restore the latest backup) goes to the log, not to the
// prober.
func (s *Server) handleReady() gin.HandlerFunc {
	ready, health := s.opts.Ready, s.opts.WriteHealth
	return func(c *gin.Context) {
		if health != nil {
			if f, failing := health.LastWriteFailure(); failing {
				s.log.Error("not ready: a database write failed and none has succeeded since", "reason", f.Reason, "at", f.At)
				c.String(http.StatusServiceUnavailable, "not ready: the last database write failed at %s (%s) and none has succeeded since: free disk space or fix the disk; the next write that succeeds makes it ready again",
					f.At.UTC().Format(time.RFC3339), f.Reason)
				return
			}
		}
		if ready != nil {
			if err := ready(c.Request); err != nil {
				s.log.Error("not ready", "err", err)
				c.String(http.StatusServiceUnavailable, "not ready")
				return
			}
		}
		c.String(http.StatusOK, "ready")
	}
}
