package handlers

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// The actions the app records in the audit log, one place: the back
// office (handlers), the accounts service (payments/accounts) and the
// counter devices. Each has its name in the catalogue as "audit.action."
// + the action.
var auditActions = []string{
	"setup", "signin", "signin.failed", "signout",
	"account.create", "account.invite", "account.accept", "account.reset_access", "account.reset_password",
	"account.role", "account.remove", "account.password", "session.revoke", "session.revoke_all", "session.end_all", "totp.enable", "totp.disable",
	"refund", "cancel", "requery", "webhook.redeliver", "review",
	"export.csv", "export.json", "export.report", "export.audit.csv", "export.audit.json",
	"export.refunds.csv", "export.refunds.json",
	"settings.check", "link.create", "link.active",
	"counter.pairing", "counter.pair", "counter.revoke", "counter.pin.set", "counter.unlock", "counter.unlock.failed",
	"counter.cancel", "counter.switch",
	"counter.lock", "counter.delay", "display.pair", "display.revoke",
}

// auditLabel is action's name in loc's language; an action this build
// does not know shows as its code.
func auditLabel(loc views.Localizer, action string) string {
	id := "audit.action." + action
	if s := loc.T(id); s != id {
		return s
	}
	return action
}

// auditPhrases are the fixed words the accounts service and the counter
// record as an entry's before or after.
var auditPhrases = map[string]string{
	"invited": "audit.invited", "password": "audit.password", "password and two-step": "audit.password_totp",
	"password set": "audit.password_set", "password, two-step off": "audit.password_new", "demo owner": "audit.demo_owner",
	"two-step on": "audit.totp_on", "two-step off": "audit.totp_off",
	"two-step code": "audit.used_code", "two-step recovery code": "audit.used_recovery",
	"pin locked": "audit.pin_locked", "active=true": "audit.link_on", "active=false": "audit.link_off",
}

// signInRefusals are why a sign-in was refused, as the accounts service
// records it.
var signInRefusals = map[string]string{
	"": "audit.wrong_password", "locked": "audit.locked", "locked now": "audit.locked_now",
	"two-step: " + accounts.ErrBadCode.Error(): "audit.bad_code", "two-step: " + accounts.ErrCodeUsed.Error(): "audit.code_used",
	"two-step: " + accounts.ErrLocked.Error(): "audit.locked",
}

// passwordChanged is how account.password records the change
// (payments/accounts ChangePassword).
var passwordChanged = regexp.MustCompile(`^password changed, (\d+) other sessions ended$`)

// sessionsEnded is how session.end_all records what it ended (`hpp admin
// end-sessions`, config/cli); entries from before it ended the two-step
// sign-ins waiting for their code do not count them, and those from
// before it voided the trusted devices do not count the devices.
var sessionsEnded = regexp.MustCompile(`^(\d+) sessions ended, (?:(\d+) two-step sign-ins ended, )?(\d+) counters locked(?:, (\d+) trusted devices voided)?$`)

// counterLocked is how a counter.lock that followed a change of the
// cashier's access records it (counter.LockedDetail): the device, the
// cashier, why. A lock at the till records the device's name alone.
var counterLocked = regexp.MustCompile(`^(.*), unlocked by (\S+): (.+)$`)

// lockedReasons are the words of counter.Locked* in the catalogue.
var lockedReasons = map[string]string{
	counter.LockedRemoved: "audit.shut_out.removed", counter.LockedAccessReset: "audit.shut_out.access_reset",
	counter.LockedRoleChanged: "audit.shut_out.role_changed", counter.LockedPasswordChanged: "audit.shut_out.password_changed",
	counter.LockedSignedOut: "audit.shut_out.signed_out", counter.LockedPasswordReset: "audit.shut_out.password_reset",
}

// linkCreated is how link.create records the link (handlers/admin_links.go).
var linkCreated = regexp.MustCompile(`^(\S+) (.+), uses (.+), expires "(.*)"$`)

// auditDetail is what entry e recorded before and after, in loc's
// language; a part of a shape this build does not know shows as it was
// recorded. Addresses, devices, emails, names and ids stay as they are.
func auditDetail(loc views.Localizer, e accounts.AuditEntry) string {
	switch e.Action {
	case "refund", "cancel", "requery", "webhook.redeliver", "counter.cancel", "counter.switch", "review":
		// As on the payment's timeline; the page reads no payment, so a
		// refund's amounts show without their currency.
		return auditText(loc, payments.Payment{}, e)
	case "signin.failed":
		// A refusal while confirming the password again ("reauth") or
		// changing it ("password"), or of a sign-in; marked when it came
		// from a trusted device, counted against it and not the account.
		why, during := e.After, ""
		known := why == accounts.KnownDevice
		if known {
			why = ""
		} else if w, ok := strings.CutSuffix(why, "; "+accounts.KnownDevice); ok {
			why, known = w, true
		}
		for _, d := range []string{"reauth", "password"} {
			if why == d {
				why, during = "", d
			} else if w, ok := strings.CutPrefix(why, d+": "); ok {
				why, during = w, d
			}
		}
		id, ok := signInRefusals[why]
		if !ok {
			break
		}
		if known { // the device's lock, not the account's
			switch id {
			case "audit.locked":
				id = "audit.device_locked"
			case "audit.locked_now":
				id = "audit.device_locked_now"
			}
		}
		text := loc.T(id)
		switch during {
		case "reauth":
			text = loc.T("audit.reauth", text)
		case "password":
			text = loc.T("audit.pwchange", text)
		}
		if known {
			return loc.T("audit.known_device", text)
		}
		return text
	case "counter.delay": // seconds → seconds
		b, err1 := strconv.Atoi(e.Before)
		a, err2 := strconv.Atoi(e.After)
		if err1 == nil && err2 == nil {
			return auditChange(loc.T("audit.seconds", strconv.Itoa(b)), loc.T("audit.seconds", strconv.Itoa(a)))
		}
	case "counter.lock":
		if m := counterLocked.FindStringSubmatch(e.After); m != nil && e.Before == "" {
			if id, ok := lockedReasons[m[3]]; ok {
				return loc.T("audit.locked_till", m[1], m[2], loc.T(id))
			}
		}
	case "session.end_all":
		if m := sessionsEnded.FindStringSubmatch(e.After); m != nil && e.Before == "" {
			switch {
			case m[4] != "" && m[2] != "":
				return loc.T("audit.ended_all_devices", m[1], m[2], m[3], m[4])
			case m[2] == "":
				return loc.T("audit.ended_all", m[1], m[3])
			}
			return loc.T("audit.ended_all_signins", m[1], m[2], m[3])
		}
	case "account.password":
		if m := passwordChanged.FindStringSubmatch(e.After); m != nil && e.Before == "" {
			return loc.T("audit.password_changed", m[1])
		}
	case "export.csv", "export.json", "export.report", "export.audit.csv", "export.audit.json",
		"export.refunds.csv", "export.refunds.json":
		if e.Before == "" && e.After != "" {
			return loc.T("audit.filters", e.After)
		}
	case "settings.check":
		if e.Before != "" {
			break
		}
		var out []string
		for _, w := range strings.Split(e.After, "; ") {
			cur, res, ok := strings.Cut(w, ": ")
			if !ok {
				return auditChange(e.Before, e.After)
			}
			if methods, ok := strings.CutPrefix(res, "ok "); ok {
				out = append(out, loc.T("audit.wallet_ok", cur, methods))
				continue
			}
			id := "audit.wallet." + res
			if loc.T(id) == id {
				return auditChange(e.Before, e.After)
			}
			out = append(out, loc.T("audit.wallet_problem", cur, loc.T(id)))
		}
		return strings.Join(out, "; ")
	case "link.create":
		m := linkCreated.FindStringSubmatch(e.After)
		if e.Before != "" || m == nil || loc.T("links.kind."+m[1]) == "links.kind."+m[1] {
			break
		}
		kind := "links.kind." + m[1]
		s := loc.T("audit.link", loc.T(kind), m[2], m[3])
		if m[4] != "" {
			s = loc.T("audit.link_expires", s, m[4])
		}
		return s
	}
	return auditChange(auditPart(loc, e.Action, e.Before), auditPart(loc, e.Action, e.After))
}

// auditPart is one side of an entry in loc's language: a fixed phrase,
// a role, "email role", or what the access was before its sessions
// ended; anything else as recorded.
func auditPart(loc views.Localizer, action, s string) string {
	if id, ok := auditPhrases[s]; ok {
		return loc.T(id)
	}
	if r := accounts.Role(s); (action == "setup" || action == "account.role") && r.Valid() {
		return loc.T("role." + s)
	}
	switch action {
	case "account.create", "account.invite", "account.remove":
		if email, r, ok := strings.Cut(s, " "); ok && accounts.Role(r).Valid() {
			return loc.T("audit.as", email, loc.T("role."+r))
		}
	case "account.reset_access":
		if access, ok := strings.CutSuffix(s, ", sessions ended"); ok {
			if id, ok := auditPhrases[access]; ok {
				return loc.T("audit.sessions_ended", loc.T(id))
			}
		}
	}
	return s
}

// auditChange is "before → after", or the one side recorded.
func auditChange(before, after string) string {
	switch {
	case before == "":
		return after
	case after == "":
		return before
	}
	return before + " → " + after
}
