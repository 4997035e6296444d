package handlers

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Routes lists every route of a handler made by NewServer.
func Routes(h http.Handler) gin.RoutesInfo { return h.(*app).engine.Routes() }

// JSONLog is a JSON logger at level and the buffer, safe for the
// server's goroutines, that it writes to.
func JSONLog(level slog.Level) (*slog.Logger, fmt.Stringer) { return jsonLog(level) }

// ZoneName is zoneName.
var ZoneName = zoneName

// AnomalyHomeIDs is anomalyHomeIDs.
var AnomalyHomeIDs = anomalyHomeIDs
