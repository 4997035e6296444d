package views

import (
	"context"
	"io"
	"regexp"
	"strings"
)

// settingWords are the words config writes on the settings page in place
// of a value (config's Effective: a secret is never shown, an unset
// setting says so), each with the message that says it in the page's
// language. A value not listed here is shown as it is: it is the
// setting's own value (an address, a URL, a name).
var settingWords = map[string]string{
	"(default)":                "settings.v.default",
	"(none)":                   "settings.v.none",
	"(not set)":                "settings.v.not_set",
	"(off)":                    "settings.v.off",
	"(generated for this run)": "settings.v.generated",
	"(generated on the first sandbox start, kept in the database)": "settings.v.generated_kept",
	"(system roots)":                         "settings.v.system_roots",
	"(the machine's zone)":                   "settings.v.machine_zone",
	"(unset: sandbox)":                       "settings.v.sandbox",
	"(a PostgreSQL URL that does not parse)": "settings.v.bad_url",
}

// settingSet is a secret's place: "(set, 40 characters)".
var settingSet = regexp.MustCompile(`\(set, (\d+) characters\)`)

// settingValue is a setting's value on the settings page: config's words
// translated, a secret's length in words (several, comma-separated, for
// secrets being rotated), anything else as it is.
type settingValue string

// Render writes the value escaped, in the page's language.
func (v settingValue) Render(ctx context.Context, w io.Writer) error {
	s := string(v)
	if id, ok := settingWords[s]; ok {
		return tr(id).Render(ctx, w)
	}
	var words, parts []string
	for _, m := range settingSet.FindAllStringSubmatch(s, -1) {
		words = append(words, t(ctx, "settings.v.set", m[1]))
		parts = append(parts, m[0])
	}
	if len(parts) == 0 || strings.Join(parts, ",") != s {
		return text(s).Render(ctx, w)
	}
	return text(strings.Join(words, t(ctx, "settings.v.separator"))).Render(ctx, w)
}
