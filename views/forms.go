package views

import (
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
