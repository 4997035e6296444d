package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// handleHealth serves GET /healthz: the process is up.
func (s *Server) handleHealth() gin.HandlerFunc {
	return func(c *gin.Context) { c.String(http.StatusOK, "ok") }
}

// handleReady serves GET /readyz: the database answers.
func (s *Server) handleReady(ready func(*http.Request) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if ready != nil {
			if err := ready(c.Request); err != nil {
				c.String(http.StatusServiceUnavailable, "not ready")
				return
			}
		}
		c.String(http.StatusOK, "ready")
	}
}
