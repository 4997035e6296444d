package views

import (
	"context"
	"io"

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
