package handlers

import (
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// sandboxControls guards the simulator's ledger and fault switches
// (/sandbox/latipay/ledger, /sandbox/latipay/faults). They need no
// authentication, which is fine on a laptop; when the public URL is not
// on loopback anyone who can reach the app could read every sandbox
// transaction or break the simulated Latipay, so they are refused. The
// shopper's simulated pages and the "Simulate paid" control stay open.
func (s *Server) sandboxControls() gin.HandlerFunc {
	local := loopbackHost(s.opts.PublicURL.Hostname())
	return func(c *gin.Context) {
		p := c.Param("path")
		if local || !(strings.HasPrefix(p, "/ledger") || strings.HasPrefix(p, "/faults")) {
			return
		}
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": gin.H{"code": "sandbox_controls_local_only",
			"message": "The sandbox ledger and fault switches answer only when HPP_PUBLIC_URL is on loopback (localhost or 127.0.0.1)."}})
	}
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
