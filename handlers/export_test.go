package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Routes lists every route of a handler made by NewServer.
func Routes(h http.Handler) gin.RoutesInfo { return h.(*app).engine.Routes() }
