package handlers

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPI is the merchant API's OpenAPI 3.1 document. api_openapi_test.go
// checks that it lists every /api/v1 route and that its examples match
// its schemas.
//
//go:embed openapi.json
var openAPI []byte

// handleOpenAPI serves GET /api/v1/openapi.json. It needs no API key: it
// holds nothing secret.
func (s *Server) handleOpenAPI() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Data(http.StatusOK, "application/json; charset=utf-8", openAPI)
	}
}
