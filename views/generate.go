// Package views renders the shopper's pages with templ. Components are pure
// functions of the view models in vm.go; handlers fill those in.
//
// It imports no package of this module: view models (vm.go) are plain
// strings and numbers shaped like the screen, and each page switches on the
// screen state the model carries. Texts come from the catalogues in
// locales/ (English, Simplified and Traditional Chinese; i18n.go loads
// them, the catalogue tests check every key in every language); money and
// dates are formatted in format.go. After editing a .templ file run
// `go tool templ generate` from the repository root and commit the
// *_templ.go files with it.
package views

//go:generate go tool templ generate
