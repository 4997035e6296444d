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

// WriteFailureHold is how long /readyz answers 503 after a write failed
// for the disk's sake, whatever committed since: a write that commits
// does not show that the others will (one that changes a row in place
// fits where an insert needing another page does not), so with mixed
// traffic readiness would flip to 200 while payments still could not be
// created. Only real writes show a full disk, and an instance a load
// balancer takes out of service receives none: held for ever, it would
// stay out after the disk was freed until a restart. A minute after the
// last failure it answers 200 again, traffic returns, and a write that
// still fails starts a new hold; the metric hpp_store_write_failing
// stays 1 until a write commits, for alerts.
const WriteFailureHold = time.Minute

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
			if f, seen := health.WriteFailureSeen(); seen && s.opts.Now().Sub(f.At) < WriteFailureHold {
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
