package handlers

import (
	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// addRoutes lists every route of the app. Nothing else registers one.
//
// Every form POST passes formBody (formbody.go), mounted on its group
// after the group's headers: the page, back office, counter and display
// groups, the checkout's refresh and the sandbox's demo. The API reads
// its JSON through decodeAPIBody, Latipay's callback and CSP reports
// cap their own bodies, and the sandbox's simulator its own.
func addRoutes(s *Server, e *gin.Engine) {
	e.GET("/healthz", s.dataHeaders(), s.handleHealth())
	e.GET("/readyz", s.dataHeaders(), s.handleReady())
	e.GET("/static/*path", s.staticHeaders(), s.handleAssetShow())
	e.GET(EmbedScriptPath, s.handleEmbedScript())

	page := e.Group("", s.pageHeaders(true), s.compress(), s.formBody(maxFormBody))
	page.GET("/", s.handleHome())
	page.GET("/pay", s.limit(s.limits.pages, byIP), s.handleLinkOpen(s.svc))
	if s.opts.Links != nil {
		page.GET("/l/:link", s.limit(s.limits.pages, byIP), s.handleLinkShow())
		page.POST("/l/:link", s.limit(s.limits.pages, byIP), s.handleLinkPay())
	}
	page.GET("/checkout/:id", s.limit(s.limits.pages, byIP), s.handleCheckoutShow(s.svc))
	page.GET("/checkout/:id/panel", s.handleCheckoutPanel(s.svc))
	// A shopper's requests that may ask Latipay are limited per payment
	// and client (the return per client too), on budgets of their own;
	// what they ask Latipay takes the instance's pace besides
	// (payments.Options.QueryRate).
	page.POST("/checkout/:id/start", s.limit(s.limits.actions, byPaymentClient), s.handleCheckoutStart(s.svc))
	page.GET("/checkout/:id/return", s.limit(s.limits.returnsIP, byIP), s.limit(s.limits.returns, byPaymentClient), s.handleCheckoutReturn(s.svc))
	page.POST("/checkout/:id/cancel", s.limit(s.limits.actions, byPaymentClient), s.handleCheckoutCancel(s.svc))
	if s.opts.Receipts != nil {
		page.GET("/receipt/:token", s.limit(s.limits.pages, byIP), s.handleEReceiptShow(s.svc))
	}
	e.GET("/checkout/:id/back", s.pageHeaders(false), s.compress(), s.handleCheckoutBack(s.svc))

	live := e.Group("", s.dataHeaders())
	live.GET("/checkout/:id/status", s.compress(), s.limit(s.limits.statusIP, byIP), s.limit(s.limits.status, byPaymentClient), s.handleStatusShow(s.svc))
	live.GET("/checkout/:id/qr.png", s.handleQRShow(s.svc))
	live.POST("/checkout/:id/refresh", s.compress(), s.formBodyJSON(maxFormBody), s.limit(s.limits.status, byPaymentClient), s.handleQRRefresh(s.svc))
	live.GET(LogoPath, s.handleLogoShow())
	live.GET(ThemePath, s.handleThemeShow())
	live.GET("/checkout/:id/ws", s.limit(s.limits.socketOpens, byIP), s.socketCaps(), s.handleSocket(s.svc))

	e.POST(CallbackPath, s.callbackHeaders(), s.handleNotificationReceive(s.svc))
	e.POST(CSPReportPath, s.callbackHeaders(), s.limit(s.limits.cspReports, byIP), s.handleCSPReport())

	api := e.Group("/api/v1", s.apiHeaders(), s.compress(), s.limit(s.limits.apiIP, byIP), s.requireAPIKey(), s.limit(s.limits.api, byAPIKey))
	api.POST("/payments", s.handlePaymentCreate(s.svc))
	api.GET("/payments/:id", s.handlePaymentShow(s.svc))
	api.GET("/payments", s.handlePaymentList(s.svc))
	api.POST("/payments/:id/cancel", s.handlePaymentCancel(s.svc))
	api.POST("/payments/:id/refunds", s.handleRefundCreate(s.svc))
	api.GET("/payments/:id/refunds", s.handleRefundList(s.svc))
	api.GET("/payments/:id/refunds/:refund_id", s.handleRefundShow(s.svc))
	api.GET("/payments/:id/events", s.handleEventList(s.svc))
	api.GET("/webhook-deliveries", s.handleDeliveryList(s.svc))
	api.POST("/webhook-deliveries/:id/redeliver", s.handleDeliveryRedeliver(s.opts.Webhooks))
	e.GET("/api/v1/openapi.json", s.apiHeaders(), s.compress(), s.handleOpenAPI())

	if s.opts.Accounts != nil {
		// The back office. Every route names the roles it answers; the
		// route x role test walks them all. A bookkeeper reads the books
		// (payments, reports, exports, the audit log) and changes nothing
		// but their own password, sessions and two-step sign-in. Sign-in and setup draw on a
		// per-address budget besides the account's own lockout.
		adm := e.Group("/admin", s.pageHeaders(false), s.formBody(maxStaffFormBody))
		adm.GET("/signin", s.handleSignInShow())
		adm.POST("/signin", s.limit(s.limits.signIns, byIP), s.handleSignIn())
		adm.POST("/signout", s.handleSignOut())
		adm.GET("/setup", s.handleSetupShow())
		adm.POST("/setup", s.limit(s.limits.signIns, byIP), s.handleSetup())
		adm.GET("/", s.requireRole(accounts.Owner, accounts.Cashier, accounts.Bookkeeper), s.handleAdminHome())
		adm.GET("/payments", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handlePaymentsList())
		adm.GET("/payments/export.csv", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handlePaymentsExport("csv"))
		adm.GET("/payments/export.json", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handlePaymentsExport("json"))
		adm.GET("/payments/:id", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handlePaymentDetail())
		adm.POST("/payments/:id/refund", s.requireRole(accounts.Owner), s.handleAdminRefund())
		adm.POST("/payments/:id/cancel", s.requireRole(accounts.Owner), s.handleAdminCancel())
		adm.POST("/payments/:id/review", s.requireRole(accounts.Owner), s.handleAdminReview())
		adm.GET("/feed", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.limit(s.limits.socketOpens, byIP), s.handleAdminFeed())
		if s.opts.Reports != nil {
			adm.GET("/reports", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleReportsShow())
			adm.GET("/reports/export.csv", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleReportsExport())
			adm.GET("/refunds/export.csv", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleRefundsExport("csv"))
			adm.GET("/refunds/export.json", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleRefundsExport("json"))
		}
		adm.GET("/payments/:id/receipt", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleReceiptPrint())
		adm.POST("/payments/:id/requery", s.requireRole(accounts.Owner), s.handleAdminRequery())
		adm.GET("/webhooks", s.requireRole(accounts.Owner), s.handleWebhookList())
		adm.GET("/webhooks/:id", s.requireRole(accounts.Owner), s.handleWebhookDetail())
		adm.POST("/webhooks/:id/redeliver", s.requireRole(accounts.Owner), s.handleWebhookRedeliver())
		adm.GET("/settings", s.requireRole(accounts.Owner), s.handleSettingsShow())
		adm.POST("/settings/check", s.requireRole(accounts.Owner), s.handleSettingsCheck())
		if s.opts.Links != nil {
			adm.GET("/links", s.requireRole(accounts.Owner), s.handleLinksList())
			adm.POST("/links", s.requireRole(accounts.Owner), s.handleLinkCreate())
			adm.GET("/links/:link", s.requireRole(accounts.Owner), s.handleLinkDetail())
			adm.POST("/links/:link/active", s.requireRole(accounts.Owner), s.handleLinkActiveSet())
			adm.GET("/links/:link/qr.png", s.requireRole(accounts.Owner), s.handleLinkQRPNG())
			adm.GET("/links/:link/qr.svg", s.requireRole(accounts.Owner), s.handleLinkQRSVG())
			adm.GET("/links/:link/poster", s.requireRole(accounts.Owner), s.handleLinkPoster())
		}
		// Sign-in's second step, invitations, one's own password, two-step
		// settings, people, sessions and the audit log (admin_auth.go,
		// admin_accounts.go, admin_password.go, admin_sessions.go,
		// admin_audit.go).
		adm.GET("/signin/code", s.handleSignInCodeShow())
		adm.POST("/signin/code", s.limit(s.limits.signIns, byIP), s.handleSignInCode())
		adm.GET("/invite", s.handleInviteShow())
		adm.POST("/invite", s.limit(s.limits.signIns, byIP), s.handleInviteAccept())
		adm.POST("/reauth", s.requireRole(accounts.Owner, accounts.Cashier, accounts.Bookkeeper), s.limit(s.limits.signIns, byIP), s.handleReauth())
		adm.GET("/password", s.requireRole(accounts.Owner, accounts.Cashier, accounts.Bookkeeper), s.handlePasswordShow())
		adm.POST("/password", s.requireRole(accounts.Owner, accounts.Cashier, accounts.Bookkeeper), s.limit(s.limits.signIns, byIP), s.handlePasswordChange())
		adm.GET("/totp", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleTOTPShow())
		adm.POST("/totp", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleTOTPConfirm())
		adm.POST("/totp/off", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.limit(s.limits.signIns, byIP), s.handleTOTPOff())
		adm.GET("/accounts", s.requireRole(accounts.Owner), s.handleAccountsShow())
		adm.POST("/accounts", s.requireRole(accounts.Owner), s.handleAccountInvite())
		adm.POST("/accounts/:id/reset", s.requireRole(accounts.Owner), s.handleAccountReset())
		adm.POST("/accounts/:id/role", s.requireRole(accounts.Owner), s.handleAccountRole())
		adm.POST("/accounts/:id/remove", s.requireRole(accounts.Owner), s.handleAccountRemove())
		// The session's time left, asked quietly, and "Stay signed in"
		// (admin_session.go): every signed-in page's warning.
		adm.GET("/session", asJSON, s.requireRoleQuietly(accounts.Owner, accounts.Cashier, accounts.Bookkeeper), s.handleSessionLeft())
		adm.POST("/session", asJSON, s.requireRole(accounts.Owner, accounts.Cashier, accounts.Bookkeeper), s.handleSessionLeft())
		adm.GET("/sessions", s.requireRole(accounts.Owner, accounts.Cashier, accounts.Bookkeeper), s.handleSessionsShow())
		adm.POST("/sessions/revoke", s.requireRole(accounts.Owner, accounts.Cashier, accounts.Bookkeeper), s.handleSessionRevoke(false))
		adm.POST("/sessions/revoke-all", s.requireRole(accounts.Owner, accounts.Cashier, accounts.Bookkeeper), s.handleSessionRevoke(true))
		adm.GET("/audit", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleAuditShow())
		adm.GET("/audit/export.csv", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleAuditExport("csv"))
		adm.GET("/audit/export.json", s.requireRole(accounts.Owner, accounts.Bookkeeper), s.handleAuditExport("json"))
		if s.opts.Counter != nil {
			adm.GET("/counter", s.requireRole(accounts.Owner), s.handleAdminCounterShow())
			adm.POST("/counter/pair", s.requireRole(accounts.Owner), s.handleAdminCounterPair())
			adm.POST("/counter/pins", s.requireRole(accounts.Owner), s.handleAdminPINSet())
			adm.POST("/counter/devices/:id/revoke", s.requireRole(accounts.Owner), s.handleAdminDeviceRevoke())
			adm.POST("/counter/devices/:id/delay", s.requireRole(accounts.Owner), s.handleAdminDeviceDelay())
		}
	}

	if s.opts.Counter != nil {
		// The counter: a paired device (its credential cookie), and for
		// selling a cashier's PIN. Pairing and unlocking draw on the
		// sign-in budget per address besides the PIN's own lock. The
		// cashier never reaches a refund: no route here makes one.
		ctr := e.Group("", s.pageHeaders(false), counterJSONAsked(), s.formBody(maxFormBody))
		ctr.GET(CounterPath, s.counterPageHeaders(), s.compress(), s.handleCounterShow())
		ctr.GET(CounterPairPath, s.handleCounterPairShow())
		ctr.POST(CounterPairPath, s.limit(s.limits.signIns, byIP), s.handleCounterPair())
		ctr.POST(CounterUnlockPath, s.limit(s.limits.signIns, byIP), s.requireDevice(false, false), s.handleCounterUnlock())
		ctr.POST(CounterLockPath, s.requireDevice(false, false), s.handleCounterLock())
		ctr.GET(CounterSalesPath, s.compress(), s.requireDevice(true, false), s.handleCounterSalesShow())
		ctr.POST(CounterSalesPath+"/:id/cancel", s.requireDevice(true, false), s.handleCounterSaleCancel())
		ctr.GET(CounterSalesPath+"/:id/receipt", s.requireDevice(true, false), s.handleCounterReceipt())
		data := e.Group("", s.dataHeaders(), counterJSON, s.formBody(maxFormBody), s.requireDevice(true, true))
		data.POST(CounterChargePath, s.handleCounterCharge())
		data.POST(CounterScanPath, s.handleCounterScan())
		data.GET(CounterSalesPath+"/:id", s.handleCounterSaleShow())
		live.GET(CounterSocketPath, s.limit(s.limits.socketOpens, byIP), s.socketCap(), s.handleCounterSocket())
	}

	if s.opts.Counter != nil && s.opts.Displays != nil {
		// The display facing the shopper: its pairing form takes a code,
		// so it draws on the sign-in budget per address.
		disp := e.Group("", s.pageHeaders(false), s.compress(), s.formBody(maxFormBody))
		disp.GET(DisplayPath, s.handleDisplayShow())
		disp.POST(DisplayPath, s.limit(s.limits.signIns, byIP), s.handleDisplayPair())
		disp.GET(CounterDisplaysPath, s.requireDevice(true, false), s.handleCounterDisplaysShow())
		disp.POST(CounterDisplaysPath+"/code", s.requireDevice(true, false), s.handleCounterDisplayCode())
		disp.POST(CounterDisplaysPath+"/:id/revoke", s.requireDevice(true, false), s.handleCounterDisplayRevoke())
		live.GET(DisplaySocketPath, s.limit(s.limits.socketOpens, byIP), s.socketCap(), s.handleDisplaySocket())
	}

	if s.opts.Sandbox != nil {
		sb := e.Group("/sandbox", s.pageHeaders(false))
		sb.POST("/demo", s.formBody(maxFormBody), s.handleDemoCreate(s.svc))
		sb.Any("/latipay/*path", s.sandboxControls(), gin.WrapH(s.opts.Sandbox))
	}
}
