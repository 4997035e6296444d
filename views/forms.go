package views

import (
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// fieldAttrs are the attributes of the field a refused form names. With
// an error (errorID set) the field is aria-invalid, described by the
// error's element (errorElem) before its hints, and focused when the page
// loads, so a keyboard or screen reader user lands on what to fix rather
// than on the page's start. Without one it is described by its hints.
func fieldAttrs(errorID, errorElem string, hints ...string) templ.Attributes {
	a := templ.Attributes{}
	ids := hints
	if errorID != "" {
		ids = append([]string{errorElem}, hints...)
		a["aria-invalid"] = "true"
		a["autofocus"] = true
	}
	if len(ids) > 0 {
		a["aria-describedby"] = strings.Join(ids, " ")
	}
	return a
}

// linkProblemFields are the fields of the links form each problem is
// about, by message id; linkFormOrder is the form's order of fields.
var (
	linkProblemFields = map[string][]string{
		"links.problem.currency": {"currency"}, "links.problem.amount": {"amount"},
		"links.problem.min": {"min"}, "links.problem.max": {"max"}, "links.problem.min_above_max": {"min", "max"},
		"links.problem.expiry": {"expires"}, "links.problem.expiry_format": {"expires"},
		"links.problem.uses": {"max-uses"}, "links.problem.source": {"kind"}, "links.problem.static": {"kind"},
		"links.problem.description": {"desc-en", "desc-zh-hans", "desc-zh-hant"},
	}
	linkFormOrder = []string{"kind", "currency", "amount", "min", "max", "desc-en", "desc-zh-hans", "desc-zh-hant", "expires", "max-uses"}
)

// ErrorElemID is the id of the i-th problem's message.
func (v LinkList) ErrorElemID(i int) string { return "link-error-" + strconv.Itoa(i) }

// FieldAttrs are field's attributes (its id): aria-invalid and described
// by its problems' messages when it has any, focused when it is the
// form's first such field, and described by its hints.
func (v LinkList) FieldAttrs(field string, hints ...string) templ.Attributes {
	var ids []string
	first := ""
	for _, f := range linkFormOrder {
		for i, id := range v.ErrorIDs {
			if slices.Contains(linkProblemFields[id], f) {
				if first == "" {
					first = f
				}
				if f == field {
					ids = append(ids, v.ErrorElemID(i))
				}
			}
		}
	}
	a := templ.Attributes{}
	if len(ids) > 0 {
		a["aria-invalid"] = "true"
		if field == first {
			a["autofocus"] = true
		}
	}
	if ids = append(ids, hints...); len(ids) > 0 {
		a["aria-describedby"] = strings.Join(ids, " ")
	}
	return a
}

// FieldErrorID is the error when it is about field ("current", "new" or
// "confirm"), else "".
func (v PasswordPage) FieldErrorID(field string) string {
	id := v.ErrorID
	switch {
	case id == "":
	case id == "admin.password.mismatch":
		if field == "confirm" {
			return id
		}
	case id == "admin.reauth.bad" || strings.HasPrefix(id, "admin.code."):
		if field == "current" {
			return id
		}
	case id == "admin.setup.badpassword" || strings.HasPrefix(id, "admin.password."):
		if field == "new" {
			return id
		}
	}
	return ""
}

// errorFor is errorID when field is errorField, the field a refused
// form's error is about, else "": the error fieldAttrs ties to field.
func errorFor(errorID, errorField, field string) string {
	if field == "" || field != errorField {
		return ""
	}
	return errorID
}

// FieldErrorID is the page's error (ErrorID) when it is about the
// re-authentication form's field ("password" or "code"), else "": a
// wrong or missing code is the code's, any other refused confirmation
// the password's.
func (r Reauth) FieldErrorID(field string) string {
	switch r.ErrorID {
	case "":
		return ""
	case "admin.code.bad", "admin.code.used", "admin.reauth.code":
		return errorFor(r.ErrorID, "code", field)
	case "admin.reauth.bad", "admin.reauth.locked", "admin.reauth.needed", "admin.signin.busy":
		return errorFor(r.ErrorID, "password", field)
	}
	return ""
}

// FormError reports whether the page's error is about the refund form
// (form "refund") or the review form ("review"), so that it stands in
// that form.
func (v PaymentDetail) FormError(form string) bool {
	switch v.ErrorField {
	case "amount", "reason", "password", "refund-code":
		return form == "refund" && v.RefundURL != ""
	case "review-note":
		return form == "review" && v.ReviewURL != ""
	}
	return false
}

// Field is the id of the re-authentication form's field its error is
// about, "" without one.
func (r Reauth) Field() string {
	switch {
	case r.FieldErrorID("code") != "":
		return "reauth-code"
	case r.FieldErrorID("password") != "":
		return "reauth-password"
	}
	return ""
}

// firstOf is the first of fields that is not "".
func firstOf(fields ...string) string {
	for _, f := range fields {
		if f != "" {
			return f
		}
	}
	return ""
}
