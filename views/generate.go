// Package views renders every page with templ: the shopper's, the back
// office's and the counter's. Components are pure functions of the view
// models (vm.go for the shopper's pages, and one Go file beside each
// area's .templ: admin*.go, counter.go, display.go, receipt.go, links.go);
// handlers fill those in.
//
// It imports no package of this module: view models (vm.go) are plain
// strings and numbers shaped like the screen, and each page switches on the
// screen state the model carries. Texts come from the catalogues in
// locales/ (English, Simplified and Traditional Chinese; i18n.go loads
// them, the catalogue tests check every key in every language); money and
// dates are formatted in format.go. Each area keeps its texts in its own
// catalogue files, locales/<area>.<lang>.toml, with ids unique across
// them. After editing a .templ file run
// `go tool templ generate` from the repository root and commit the
// *_templ.go files with it.
package views

//go:generate go tool templ generate
