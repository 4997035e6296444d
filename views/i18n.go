package views

import (
	"context"
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/language"
)

// Localizer turns message ids into text in one language.
type Localizer interface {
	// Lang is the BCP 47 tag of the language, e.g. "en" or "zh-Hans".
	Lang() string
	// T returns the message for id, formatted with args: the catalogues
	// refer to them as {{.P1}}, {{.P2}}, ... in order.
	T(id string, args ...any) string
}

type localizerKey struct{}

// WithLocalizer returns a context whose pages render in l's language.
func WithLocalizer(ctx context.Context, l Localizer) context.Context {
	return context.WithValue(ctx, localizerKey{}, l)
}

// localizer is the typed accessor for the context's Localizer. Handlers
// always set one; the English fallback is for tests that render a
// component directly.
func localizer(ctx context.Context) Localizer {
	if l, ok := ctx.Value(localizerKey{}).(Localizer); ok {
		return l
	}
	return English{}
}

// t translates id in the page's language.
func t(ctx context.Context, id string, args ...any) string {
	return localizer(ctx).T(id, args...)
}

func lang(ctx context.Context) string { return localizer(ctx).Lang() }

type langLinksKey struct{}

// WithLangLinks returns a context whose pages show this language switch
// (the current page in each language), unless the Page sets its own.
func WithLangLinks(ctx context.Context, links []LangLink) context.Context {
	return context.WithValue(ctx, langLinksKey{}, links)
}

// langLinksFor is the typed accessor for the switch: the view model's own
// links, else the context's.
func langLinksFor(ctx context.Context, p Page) []LangLink {
	if len(p.Langs) > 0 {
		return p.Langs
	}
	links, _ := ctx.Value(langLinksKey{}).([]LangLink)
	return links
}

// The languages of the shopper's pages, as BCP 47 tags. English is the
// source catalogue and the fallback.
const (
	LangEnglish            = "en"
	LangSimplifiedChinese  = "zh-Hans"
	LangTraditionalChinese = "zh-Hant"
)

const catalogueDir, catalogueExt = "locales", ".toml"

// catalogueFiles names the files of one language's catalogue: locales/<tag>.toml
// (the checkout and shared texts) and any locales/<area>.<tag>.toml (one per
// area, such as admin.en.toml), so each part of the app keeps its own texts.
// A message id may be defined in only one of them.
func catalogueFiles(tag string) []string {
	entries, _ := catalogues.ReadDir(catalogueDir) // embedded: cannot fail
	var names []string
	for _, e := range entries {
		n := e.Name()
		if n == tag+catalogueExt || strings.HasSuffix(n, "."+tag+catalogueExt) {
			names = append(names, catalogueDir+"/"+n)
		}
	}
	return names
}

// Languages lists the supported languages, English first.
func Languages() []string {
	return []string{LangEnglish, LangSimplifiedChinese, LangTraditionalChinese}
}

// LanguageName is a language's name in that language, for the switch.
func LanguageName(tag string) string {
	switch tag {
	case LangSimplifiedChinese:
		return "简体中文"
	case LangTraditionalChinese:
		return "繁體中文"
	}
	return "English"
}

//go:embed locales/*.toml
var catalogues embed.FS

// Catalog holds the message catalogues of every language. It is read-only
// once built and safe for concurrent use.
type Catalog struct {
	bundle *i18n.Bundle
	ids    map[string][]string // language -> sorted message ids
	// locs holds one Localizer per supported language, built once: a page
	// asks for its localizer several times, and building one parses the
	// language tag and runs the matcher (seen in the checkout page's
	// profile). They are kept as interface values, so handing one out
	// does not box (allocate) a copy each time.
	locs map[string]Localizer
}

// NewCatalog parses the embedded catalogues (see catalogueFiles).
func NewCatalog() (*Catalog, error) { return newCatalog(true) }

// newCatalog is NewCatalog; memo works out every argument-less message
// up front (English, which builds a Catalog per call, skips it).
func newCatalog(memo bool) (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, ids: map[string][]string{}}
	sources := map[string]map[string]string{} // language -> id -> message text
	for _, tag := range Languages() {
		sources[tag] = map[string]string{}
		var ids []string
		for _, name := range catalogueFiles(tag) {
			f, err := b.LoadMessageFileFS(catalogues, name)
			if err != nil {
				return nil, fmt.Errorf("views: catalogue %s: %w", name, err)
			}
			for _, m := range f.Messages {
				if _, dup := sources[tag][m.ID]; dup {
					return nil, fmt.Errorf("views: catalogue %s: message %q is defined twice", name, m.ID)
				}
				ids = append(ids, m.ID)
				sources[tag][m.ID] = m.Other
			}
		}
		sort.Strings(ids)
		c.ids[tag] = ids
	}
	var all []string // every id of every catalogue (repeats are harmless)
	for _, ids := range c.ids {
		all = append(all, ids...)
	}
	c.locs = make(map[string]Localizer, len(Languages()))
	for _, tag := range Languages() {
		l := catalogLocalizer{tag: tag, l: i18n.NewLocalizer(b, tag), spaced: tag != LangEnglish}
		if memo {
			l.plain = make(map[string]string, len(all))
			for _, id := range all {
				l.plain[id] = l.localize(id, nil)
			}
			l.filled = make(map[string]fill)
			for id, src := range sources[tag] {
				// Only where it gives exactly what the template gives.
				sample := []any{"a", 2, "c"}
				if f, ok := parseFill(src); ok && f.args <= len(sample) &&
					f.apply(sample, l.spaced) == l.localize(id, sample) {
					l.filled[id] = f
				}
			}
		}
		c.locs[tag] = l
	}
	return c, nil
}

// IDs returns the message ids a language's catalogue defines, sorted.
func (c *Catalog) IDs(tag string) []string { return append([]string(nil), c.ids[tag]...) }

// Source returns the untranslated template of id in a language, for tests
// that compare placeholders across catalogues.
func (c *Catalog) Source(tag, id string) (string, bool) {
	for _, m := range mustMessages(tag) {
		if m.ID == id {
			return m.Other, true
		}
	}
	return "", false
}

// Localizer returns the Localizer of a supported language tag; anything
// else gets English.
func (c *Catalog) Localizer(tag string) Localizer {
	switch tag {
	case LangSimplifiedChinese, LangTraditionalChinese:
	default:
		tag = LangEnglish
	}
	return c.locs[tag]
}

type catalogLocalizer struct {
	tag string
	l   *i18n.Localizer
	// plain is T's answer for each known id called without arguments,
	// worked out once in NewCatalog; read-only afterwards. Most of a
	// page's strings take no arguments.
	plain map[string]string
	// filled holds the messages whose only template actions are {{.Pn}},
	// filled in without running text/template (read-only).
	filled map[string]fill
	// spaced: the values filled in are spaced against Chinese text
	// (spacing.go).
	spaced bool
}

// fill is a message split around its {{.Pn}} placeholders: text[0],
// argument at[0], text[1], ..., text[len(at)].
type fill struct {
	text []string
	at   []int // 0-based argument index
	args int   // arguments it needs
}

// parseFill splits src; ok is false when src has any other action.
func parseFill(src string) (f fill, ok bool) {
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			f.text = append(f.text, src)
			return f, !strings.Contains(src, "}}")
		}
		rest, ok := strings.CutPrefix(src[i:], "{{.P")
		j := strings.Index(rest, "}}")
		if !ok || j < 1 {
			return fill{}, false
		}
		n, err := strconv.Atoi(rest[:j])
		if err != nil || n < 1 || rest[:j] != strconv.Itoa(n) {
			return fill{}, false
		}
		f.text = append(f.text, src[:i])
		f.at = append(f.at, n-1)
		f.args = max(f.args, n)
		src = rest[j+2:]
	}
}

// argData is the template data of T's arguments: P1, P2, ...
func argData(args []any) map[string]any {
	data := make(map[string]any, len(args))
	for i, a := range args {
		data["P"+strconv.Itoa(i+1)] = a
	}
	return data
}

func (l catalogLocalizer) Lang() string { return l.tag }

// T renders id; an id missing from every catalogue comes back as itself,
// which the tests look for.
func (l catalogLocalizer) T(id string, args ...any) string {
	if len(args) == 0 {
		if s, ok := l.plain[id]; ok {
			return s
		}
		return l.localize(id, nil)
	}
	if f, ok := l.filled[id]; ok && f.args <= len(args) {
		return f.apply(args, l.spaced)
	}
	return l.localize(id, args)
}

// localize renders id with args (nil for none) through go-i18n; see T.
func (l catalogLocalizer) localize(id string, args []any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	switch {
	case args == nil:
	case l.spaced:
		cfg.TemplateData = markArgs(args)
	default:
		cfg.TemplateData = argData(args)
	}
	s, err := l.l.Localize(cfg)
	if err != nil {
		return id
	}
	if l.spaced && args != nil {
		return spaceMarked(s)
	}
	return s
}

// English is the fallback Localizer for components rendered without one.
// It parses the English catalogue on every call: handlers always set a
// Catalog's Localizer instead.
type English struct{}

// Lang returns "en".
func (English) Lang() string { return LangEnglish }

// T looks id up in the English catalogue.
func (English) T(id string, args ...any) string {
	c, err := newCatalog(false)
	if err != nil {
		return id
	}
	return c.Localizer(LangEnglish).T(id, args...)
}

// mustMessages parses one embedded catalogue; the files are part of the
// binary, so a parse error is a build defect that the tests catch.
func mustMessages(tag string) []*i18n.Message {
	var all []*i18n.Message
	for _, name := range catalogueFiles(tag) {
		buf, err := catalogues.ReadFile(name)
		if err != nil {
			return nil
		}
		msgs, err := i18n.ParseMessageFileBytes(buf, path.Base(name), map[string]i18n.UnmarshalFunc{"toml": toml.Unmarshal})
		if err != nil {
			return nil
		}
		all = append(all, msgs.Messages...)
	}
	return all
}
