package views

import (
	"context"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// text is a string written HTML-escaped: what templ writes for { s }.
// templ's text expression boxes s and copies it with fmt.Sprint first,
// two allocations each, some 30 per checkout page (4% of its CPU in the
// handler benchmark's profile). As the value of an @ call, text and tr
// are called directly on the concrete type, so nothing is boxed.
//
// templ drops the whitespace between an element and an @ call, so where
// an expression follows text or a space in the same element, the pages
// keep { s }.
type text string

// Render writes s escaped.
func (s text) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, templ.EscapeString(string(s)))
	return err
}

// msg is message id with its arguments, translated in the page's
// language when rendered; see tr.
type msg struct {
	id   string
	args []any
}

// tr is t(ctx, id, args...) written HTML-escaped: @tr("id") in a
// template writes what { t(ctx, "id") } writes.
func tr(id string, args ...any) msg { return msg{id: id, args: args} }

// Render writes the message escaped.
func (m msg) Render(ctx context.Context, w io.Writer) error {
	return text(t(ctx, m.id, m.args...)).Render(ctx, w)
}

// foreign is s written HTML-escaped with the last occurrence of words,
// Latipay's own text (in English, whatever the page's language), in a
// <span lang="en">, so that a screen reader reads it in English inside a
// Chinese page. Without words in s, it is s as text writes it.
type foreign struct{ s, words string }

// Render writes s escaped, words marked as English.
func (f foreign) Render(ctx context.Context, w io.Writer) error {
	i := -1
	if f.words != "" {
		i = strings.LastIndex(f.s, f.words)
	}
	if i < 0 {
		return text(f.s).Render(ctx, w)
	}
	_, err := io.WriteString(w, templ.EscapeString(f.s[:i])+`<span lang="en">`+templ.EscapeString(f.words)+`</span>`+
		templ.EscapeString(f.s[i+len(f.words):]))
	return err
}

// latipayArgIDs are the messages whose argument is Latipay's own words.
var latipayArgIDs = map[string]bool{"admin.refund.rejected": true}

// errorText is the message id with arg in the page's language, arg marked
// as English where it is Latipay's own words (foreign).
func errorText(id, arg string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if latipayArgIDs[id] {
			return foreign{t(ctx, id, arg), arg}.Render(ctx, w)
		}
		return tr(id, arg).Render(ctx, w)
	})
}
