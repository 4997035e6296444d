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
// them.
//
// Chinese text follows one spacing rule, in every zh-Hans and zh-Hant
// catalogue and on every page (spacing.go): one space between Chinese and
// Latin letters or digits, none beside full-width punctuation, as
// mainland and Taiwan UI copy does. The space around a value filled into
// a message is put in by the filling (Localizer.T), not written in the
// catalogue, whose placeholders sit tight against Chinese: only the value
// tells whether it needs one. A shop named "Demo Shop" reads
// 「向 Demo Shop 付款」, one named 奇异果小店 「向奇异果小店付款」, an amount
// 「收款 NZ$ 12.00」, a wallet 「用微信支付付款」; a catalogue that spaced its
// placeholders would space the Chinese names too, and one that did not
// would run Latin names into the Chinese. TestChineseCatalogueSpacing
// holds every catalogue to the rule; handlers joining two translated
// pieces use JoinPhrases.
//
// After editing a .templ file run
// `go tool templ generate` from the repository root and commit the
// *_templ.go files with it.
package views

//go:generate go tool templ generate
