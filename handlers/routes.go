package handlers

import (
	"github.com/gin-gonic/gin"
)

// addRoutes lists every route of the app. Nothing else registers one.
func addRoutes(s *Server, e *gin.Engine) {
	e.GET("/healthz", handleHealth())
	e.GET("/readyz", handleReady(s.opts.Ready))
	e.GET("/static/*path", s.staticHeaders(), gin.WrapH(s.assets))

	page := e.Group("", s.pageHeaders(true))
	page.GET("/", s.handleHome())
	page.GET("/pay", s.handleLinkOpen(s.svc))
	page.GET("/checkout/:id", s.handleCheckoutShow(s.svc))
	page.GET("/checkout/:id/panel", s.handleCheckoutPanel(s.svc))
	page.POST("/checkout/:id/start", s.handleCheckoutStart(s.svc))
	page.GET("/checkout/:id/return", s.handleCheckoutReturn(s.svc))

	live := e.Group("", s.dataHeaders())
	live.GET("/checkout/:id/status", s.handleStatusShow(s.svc))
	live.GET("/checkout/:id/qr.png", s.handleQRShow(s.svc))
	live.GET("/checkout/:id/ws", s.handleSocket(s.svc))

	e.POST(CallbackPath, s.callbackHeaders(), s.handleNotificationReceive(s.svc))

	api := e.Group("/api/v1", s.apiHeaders(), s.requireAPIKey())
	api.POST("/payments", s.handlePaymentCreate(s.svc))
	api.GET("/payments/:id", s.handlePaymentShow(s.svc))

	if s.opts.Sandbox != nil {
		sb := e.Group("/sandbox", s.pageHeaders(false))
		sb.POST("/demo", s.handleDemoCreate(s.svc))
		sb.Any("/latipay/*path", gin.WrapH(s.opts.Sandbox))
	}
}
