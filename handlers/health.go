package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// handleHealth serves GET /healthz: the process is up.
func handleHealth() gin.HandlerFunc {
	return func(c *gin.Context) { c.String(http.StatusOK, "ok") }
}

// handleReady serves GET /readyz: the database can be read and written.
// The reason it cannot (for a damaged file: restore the latest backup)
// goes to the log, not to the prober.
func (s *Server) handleReady() gin.HandlerFunc {
	ready := s.opts.Ready
	return func(c *gin.Context) {
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
