package views

import "github.com/a-h/templ"

// authPages adds the sign-in second step, changing one's password,
// two-step settings, accounts,
// invitation, sessions and audit pages, in each of their states, to the
// pages every language is checked on.
func authPages(out map[string]templ.Component, page Page, admin Admin) {
	codeErrors := []string{"", "admin.code.bad", "admin.code.used", "admin.signin.locked"}
	for _, id := range codeErrors {
		out["admin-code-"+id] = SignInCodePage(SignInCode{Page: page, Action: "/admin/signin/code", Next: "/admin/", ErrorID: id, Minutes: 5})
	}
	out["admin-signin-admin.code.expired"] = SignInPage(SignIn{Page: page, Action: "/admin/signin", ErrorID: "admin.code.expired"})
	out["admin-password"] = PasswordPageView(PasswordPage{Admin: admin, Action: "/admin/password"})
	out["admin-password-done"] = PasswordPageView(PasswordPage{Admin: admin, Action: "/admin/password", NoticeID: "admin.password.done"})
	for _, id := range []string{"admin.reauth.bad", "admin.signin.locked", "admin.signin.busy", "admin.password.mismatch", "admin.password.same",
		"admin.setup.badpassword", "admin.password.long", "admin.password.blank", "admin.password.repeated", "admin.password.common"} {
		out["admin-password-"+id] = PasswordPageView(PasswordPage{Admin: admin, Action: "/admin/password", ErrorID: id})
	}
	reauth := Reauth{Action: "/admin/reauth", Next: "/admin/totp", NeedCode: true}
	out["admin-totp-reauth"] = TOTPPage(TOTPSettings{Admin: admin, Reauth: reauth, ErrorID: "admin.reauth.locked"})
	out["admin-totp-enrol"] = TOTPPage(TOTPSettings{Admin: admin, Secret: "JBSWY3DPEHPK3PXP", QR: "data:image/png;base64,iVBORw0KGgo=",
		Action: "/admin/totp", ErrorID: "admin.code.bad"})
	out["admin-totp-codes"] = TOTPPage(TOTPSettings{Admin: admin, On: true, RecoveryLeft: 10, OffAction: "/admin/totp/off",
		Recovery: []string{"abcde-fghij", "klmno-pqrst"}, NoticeID: "admin.totp.enabled"})
	out["admin-totp-on"] = TOTPPage(TOTPSettings{Admin: admin, On: true, RecoveryLeft: 9, OffAction: "/admin/totp/off", ErrorID: "admin.code.used"})
	out["admin-totp-off"] = TOTPPage(TOTPSettings{Admin: admin, Secret: "JBSWY3DPEHPK3PXP", QR: "data:image/png;base64,iVBORw0KGgo=",
		Action: "/admin/totp", NoticeID: "admin.totp.disabled"})
	rows := []AccountRow{
		{ID: "acc_1", Email: "owner@shop.example", Name: "王小明", Role: "owner", State: "active", TOTP: true, Self: true,
			RoleURL: "/admin/accounts/acc_1/role", ResetURL: "/admin/accounts/acc_1/reset", RemoveURL: "/admin/accounts/acc_1/remove"},
		{ID: "acc_2", Email: "till@shop.example", Role: "cashier", State: "invited",
			RoleURL: "/admin/accounts/acc_2/role", ResetURL: "/admin/accounts/acc_2/reset", RemoveURL: "/admin/accounts/acc_2/remove"},
		{ID: "acc_3", Email: "late@shop.example", Role: "cashier", State: "locked",
			RoleURL: "/admin/accounts/acc_3/role", ResetURL: "/admin/accounts/acc_3/reset", RemoveURL: "/admin/accounts/acc_3/remove"},
	}
	roles := []string{"cashier", "owner"}
	out["admin-accounts"] = AccountsPageView(AccountsPage{Admin: admin, Rows: rows, InviteAction: "/admin/accounts", Roles: roles,
		Link: "https://pay.example.com/admin/invite?token=abc", LinkEmail: "till@shop.example", NoticeID: "admin.reauth.done"})
	out["admin-accounts-reauth"] = AccountsPageView(AccountsPage{Admin: admin, Rows: rows, Roles: roles, Reauth: Reauth{Action: "/admin/reauth", Next: "/admin/accounts"}})
	for _, id := range []string{"admin.accounts.bademail", "admin.accounts.badinput", "admin.accounts.taken", "admin.accounts.lastowner",
		"admin.accounts.self", "admin.reauth.needed", "admin.reauth.bad", "admin.reauth.code"} {
		out["admin-accounts-"+id] = AccountsPageView(AccountsPage{Admin: admin, Rows: rows, InviteAction: "/admin/accounts", Roles: roles, ErrorID: id})
	}
	for _, id := range []string{"admin.accounts.removed", "admin.accounts.role.done"} {
		out["admin-accounts-"+id] = AccountsPageView(AccountsPage{Admin: admin, Rows: rows, InviteAction: "/admin/accounts", Roles: roles, NoticeID: id})
	}
	out["admin-invite"] = InvitePageView(InvitePage{Page: page, Action: "/admin/invite", Token: "t", Email: "till@shop.example"})
	for _, id := range []string{"admin.invite.bad", "admin.invite.expired"} {
		out["admin-invite-"+id] = InvitePageView(InvitePage{Page: page, Action: "/admin/invite", ErrorID: id})
	}
	sessions := []SessionRow{
		{Hash: "h1", AccountID: "acc_1", Email: "owner@shop.example", Address: "203.0.113.5", Device: "Mozilla/5.0 (iPhone)",
			Started: "2026-03-01 10:00 UTC", Seen: "2026-03-01 10:20 UTC", This: true, RevokeURL: "/admin/sessions/revoke", AllURL: "/admin/sessions/revoke-all"},
		{Hash: "h2", AccountID: "acc_2", Email: "till@shop.example", Address: "203.0.113.6", Device: "Firefox",
			Started: "2026-03-01 09:00 UTC", Seen: "2026-03-01 09:10 UTC", RevokeURL: "/admin/sessions/revoke", AllURL: "/admin/sessions/revoke-all"},
	}
	out["admin-sessions"] = SessionsPageView(SessionsPage{Admin: admin, Rows: sessions, All: true, NoticeID: "admin.sessions.revoked"})
	out["admin-sessions-own"] = SessionsPageView(SessionsPage{Admin: admin, Rows: sessions[:1], ErrorID: "admin.sessions.notyours"})
	audit := []AuditRow{{Time: "2026-03-01 10:00:00 UTC", Email: "owner@shop.example", Address: "203.0.113.5", Device: "Firefox",
		Action: "account.role", Label: "Changed a role", Target: "acc_2", Detail: "cashier → owner"}}
	out["admin-audit"] = AuditPageView(AuditPage{Admin: admin, Action: "/admin/audit", Filter: "account.role", Account: "acc_1",
		Actions: []Option{{Value: "signin", Label: "Signed in"}, {Value: "account.role", Label: "Changed a role"}}, Accounts: []Option{{Value: "acc_1", Label: "owner@shop.example"}}, Rows: audit,
		NextURL: "/admin/audit?before=5", ExportCSV: "/admin/audit/export.csv", ExportJSON: "/admin/audit/export.json"})
	out["admin-audit-empty"] = AuditPageView(AuditPage{Admin: admin, Action: "/admin/audit", Actions: []Option{{Value: "signin", Label: "Signed in"}},
		ExportCSV: "/admin/audit/export.csv", ExportJSON: "/admin/audit/export.json"})
	detail := PaymentDetail{Admin: admin, Row: PaymentRow{ID: "pay_1", Amount: "12.50", Currency: "NZD", Status: "paid", Reference: "R", Refunded: "0.00"},
		RefundURL: "/admin/payments/pay_1/refund", Refundable: "12.50", NeedPW: true, NeedCode: true, IdemKey: "k"}
	for _, id := range []string{"admin.reauth.locked", "admin.reauth.code", "admin.code.bad", "admin.code.used"} {
		d := detail
		d.ErrorID = id
		out["admin-detail-"+id] = PaymentDetailPage(d)
	}
}
