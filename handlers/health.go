package handlers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
)

// handleHealth serves GET /healthz: the process is up.
func (s *Server) handleHealth() gin.HandlerFunc {
	return func(c *gin.Context) { c.String(http.StatusOK, "ok") }
}

// WriteFailureHold is how long /readyz answers 503 after a write failed
// for the disk's sake, whatever committed since, and the metric
// hpp_store_write_failing says 1: payments.WriteFailureHold, whose
// comment says why, and payments.HeldWriteFailure the rule both follow.
const WriteFailureHold = payments.WriteFailureHold

// handleReady serves GET /readyz: the database can be read and written.
// Within WriteFailureHold of a write that failed for the disk's sake
// (full, an I/O error), whether or not one has committed since, it
// answers 503 saying so and when: the probe's own check never needs disk
// space, so a full disk shows only in real writes. The reason another check fails
// (for a damaged file: restore the latest backup) goes to the log, not
// to the prober.
func (s *Server) handleReady() gin.HandlerFunc {
	ready, health := s.opts.Ready, s.opts.WriteHealth
	return func(c *gin.Context) {
		if health != nil {
			if f, held := payments.HeldWriteFailure(health, s.opts.Now()); held {
				if _, failing := health.LastWriteFailure(); failing {
					s.log.Error("not ready: a database write failed and none has succeeded since", "reason", f.Reason, "at", f.At)
					c.String(http.StatusServiceUnavailable, "not ready: the last database write failed at %s (%s) and none has succeeded since: free disk space or fix the disk; it is ready again a minute after the last write that fails",
						f.At.UTC().Format(time.RFC3339), f.Reason)
					return
				}
				s.log.Error("not ready: a database write failed within the last minute, though others have succeeded since", "reason", f.Reason, "at", f.At)
				c.String(http.StatusServiceUnavailable, "not ready: a database write failed at %s (%s); writes have succeeded since, but ones that need more space may still fail: free disk space or fix the disk; it is ready again a minute after the last write that fails",
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
