package handlers_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/ratelimit"
)

// openAPIDoc is the part of an OpenAPI 3.1 document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                   `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation   `json:"paths"`
	Webhooks   map[string]map[string]openAPIOperation   `json:"webhooks"`
	Components struct{ Schemas map[string]*jsonSchema } `json:"components"`
}

type openAPIOperation struct {
	OperationID string `json:"operationId"`
	RequestBody *struct {
		Content map[string]openAPIMedia `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Description string                     `json:"description"`
		Headers     map[string]json.RawMessage `json:"headers"`
		Content     map[string]openAPIMedia    `json:"content"`
	} `json:"responses"`
}

type openAPIMedia struct {
	Schema  *jsonSchema     `json:"schema"`
	Example json.RawMessage `json:"example"`
	// Examples are named examples, where one answer has several forms.
	Examples map[string]struct {
		Value json.RawMessage `json:"value"`
	} `json:"examples"`
}

// jsonSchema is the subset of JSON Schema the document uses.
type jsonSchema struct {
	Ref                  string                 `json:"$ref"`
	Type                 any                    `json:"type"` // "string" or ["string","null"]
	Properties           map[string]*jsonSchema `json:"properties"`
	Required             []string               `json:"required"`
	AdditionalProperties *bool                  `json:"additionalProperties"`
	Items                *jsonSchema            `json:"items"`
	Enum                 []any                  `json:"enum"`
	Pattern              string                 `json:"pattern"`
	MaxLength            *int                   `json:"maxLength"`
	Format               string                 `json:"format"`
	Description          string                 `json:"description"`
}

func loadOpenAPI(t testing.TB) openAPIDoc {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// validate checks v against s and returns every problem, with paths.
func (d openAPIDoc) validate(s *jsonSchema, v any, at string) []string {
	if s.Ref != "" {
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		ref, ok := d.Components.Schemas[name]
		if !ok {
			return []string{at + ": unknown $ref " + s.Ref}
		}
		return d.validate(ref, v, at)
	}
	var types []string
	switch tt := s.Type.(type) {
	case string:
		types = []string{tt}
	case []any:
		for _, x := range tt {
			types = append(types, fmt.Sprint(x))
		}
	}
	kind := jsonKind(v)
	if len(types) > 0 && !slices.Contains(types, kind) && !(kind == "integer" && slices.Contains(types, "number")) {
		return []string{fmt.Sprintf("%s: %s, want %v", at, kind, types)}
	}
	var out []string
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		out = append(out, fmt.Sprintf("%s: %v not in %v", at, v, s.Enum))
	}
	switch x := v.(type) {
	case string:
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(x) {
			out = append(out, fmt.Sprintf("%s: %q does not match %s", at, x, s.Pattern))
		}
		if s.MaxLength != nil && len([]rune(x)) > *s.MaxLength {
			out = append(out, at+": too long")
		}
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := x[r]; !ok {
				out = append(out, at+": missing "+r)
			}
		}
		for k, fv := range x {
			ps, ok := s.Properties[k]
			if !ok {
				if s.AdditionalProperties != nil && !*s.AdditionalProperties {
					out = append(out, at+": unexpected "+k)
				}
				continue
			}
			out = append(out, d.validate(ps, fv, at+"."+k)...)
		}
	case []any:
		if s.Items != nil {
			for i, e := range x {
				out = append(out, d.validate(s.Items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return out
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// checkAgainst validates a JSON body against a named component schema.
func checkAgainst(t testing.TB, doc openAPIDoc, schema string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	for _, p := range doc.validate(&jsonSchema{Ref: "#/components/schemas/" + schema}, v, schema) {
		t.Errorf("response does not match the OpenAPI schema: %s", p)
	}
}

// TestOpenAPIIDsAreTheCurrentForm: the document's patterns for payment
// and refund ids accept what the app accepts, and its examples show ids
// as the app makes them now (a payment id and a merchant reference begin
// with their time: payments.NewPaymentID), so an integrator who copies
// an example copies today's form, and one who validates with the
// published pattern refuses nothing the app would give them.
func TestOpenAPIIDsAreTheCurrentForm(t *testing.T) {
	doc := loadOpenAPI(t)
	idPattern := regexp.MustCompile(doc.Components.Schemas["Payment"].Properties["id"].Pattern)
	now, err := payments.NewPaymentID(rand.Reader, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{now, "pay_0b3v1d8mxkq9s2r4t6w8y0z1a3", "pay_0b3v1d8mxkq9s2r4t6w8y0z1al",
		"pay_0B3V1D8MXKQ9S2R4T6W8Y0Z1A3", "pay_1mt73wg0b3v1d8mxkq9s2r4t6w8y0z1a", "pay_", now + "0"} {
		if got, want := idPattern.MatchString(id), payments.ValidPaymentID(id); got != want {
			t.Errorf("the document's id pattern says %v for %q, the app %v", got, id, want)
		}
	}
	rf := regexp.MustCompile(doc.Components.Schemas["Refund"].Properties["id"].Pattern)
	if !rf.MatchString("rf_4k2m8q1v9x7s3d5f0h6j2n4p8r") || rf.MatchString("rf_4k2m8q1v9x7s3d5f0h6j2n4p8u") {
		t.Errorf("the refund id pattern %s does not follow Crockford's base32", rf)
	}

	n := 0
	var walk func(at, key string, v any)
	walk = func(at, key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(at+"."+k, k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", at, i), key, x)
			}
		case string:
			var id string
			switch {
			case strings.HasPrefix(v, "pay_"):
				id = v
			case key == "checkout_url":
				id = v[strings.LastIndex(v, "/")+1:]
			case strings.HasPrefix(v, "evt_"):
				id = "pay_" + v[len("evt_"):strings.LastIndex(v, "_")]
			case key == "latipay_reference" && v != "":
				n++
				if len(v) != 33 || !payments.ValidReference(v) {
					t.Errorf("%s: %q is not a merchant reference as the app makes them now (33 characters)", at, v)
				}
				return
			default:
				return
			}
			n++
			if len(id) != 37 || !payments.ValidPaymentID(id) {
				t.Errorf("%s: %q holds %q, not a payment id as the app makes them now (37 characters)", at, v, id)
			}
		}
	}
	for _, ops := range []map[string]map[string]openAPIOperation{doc.Paths, doc.Webhooks} {
		for path, methods := range ops {
			for method, op := range methods {
				for code, r := range op.Responses {
					for ct, m := range r.Content {
						exs := []json.RawMessage{m.Example}
						for _, e := range m.Examples {
							exs = append(exs, e.Value)
						}
						for _, ex := range exs {
							var v any
							if len(ex) > 0 && json.Unmarshal(ex, &v) == nil {
								walk(method+" "+path+" "+code+" "+ct, "", v)
							}
						}
					}
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d ids found in the examples", n)
	}
}

// TestOpenAPIExamplesValidate: every example in the document matches the
// schema beside it, and the validator does catch a wrong one.
func TestOpenAPIExamplesValidate(t *testing.T) {
	doc := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	n := 0
	check := func(where string, m openAPIMedia) {
		if m.Schema == nil {
			return
		}
		examples := map[string]json.RawMessage{"example": m.Example}
		for name, e := range m.Examples {
			examples["examples."+name] = e.Value
		}
		for name, ex := range examples {
			if len(ex) == 0 {
				continue
			}
			n++
			var v any
			if err := json.Unmarshal(ex, &v); err != nil {
				t.Errorf("%s: %s: %v", where, name, err)
				continue
			}
			for _, p := range doc.validate(m.Schema, v, name) {
				t.Errorf("%s: %s", where, p)
			}
		}
	}
	for _, ops := range []map[string]map[string]openAPIOperation{doc.Paths, doc.Webhooks} {
		for path, methods := range ops {
			for method, op := range methods {
				if op.RequestBody != nil {
					for ct, m := range op.RequestBody.Content {
						check(method+" "+path+" request "+ct, m)
					}
				}
				for code, r := range op.Responses {
					for ct, m := range r.Content {
						check(method+" "+path+" "+code+" "+ct, m)
					}
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d examples checked, want every operation's", n)
	}
	bad := map[string]any{"id": "pay_x", "status": "teleported", "amount": 12.5}
	if len(doc.validate(&jsonSchema{Ref: "#/components/schemas/Payment"}, bad, "bad")) < 3 {
		t.Error("the validator accepts a wrong payment")
	}
}

// TestOpenAPICoversRoutes: every /api/v1 route the router registers is
// in the document with the same method, and the document lists nothing
// the router does not serve.
func TestOpenAPICoversRoutes(t *testing.T) {
	var routes []string
	mode, w := gin.Mode(), gin.DefaultWriter
	gin.SetMode(gin.DebugMode)
	gin.DefaultWriter = io.Discard
	gin.DebugPrintRouteFunc = func(method, path, _ string, _ int) {
		if strings.HasPrefix(path, "/api/v1") {
			routes = append(routes, method+" "+path)
		}
	}
	t.Cleanup(func() { gin.SetMode(mode); gin.DefaultWriter = w; gin.DebugPrintRouteFunc = nil })
	newEmbedApp(t, nil, true)
	gin.DebugPrintRouteFunc = nil

	var documented []string
	for path, methods := range loadOpenAPI(t).Paths {
		gp := regexp.MustCompile(`\{(\w+)\}`).ReplaceAllString(path, ":$1")
		for m := range methods {
			documented = append(documented, strings.ToUpper(m)+" "+gp)
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	if len(routes) < 9 {
		t.Fatalf("saw %d /api/v1 routes (%v); route collection is broken", len(routes), routes)
	}
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.json documents %s, which the router does not serve", d)
		}
	}
}

// TestOpenAPIDocumentsRateLimit: every call that takes the API key can
// be answered 429, and the document says so on each, with Retry-After,
// the error's code and the shipped limits; the README's API section says
// the same.
func TestOpenAPIDocumentsRateLimit(t *testing.T) {
	d := ratelimit.Defaults()
	limits := []string{
		fmt.Sprintf("per API key more than %d a second (bursts of %d)", d.API.Limit, d.API.Burst),
		fmt.Sprintf("per client address more than %d a second (bursts of %d)", d.APIPerIP.Limit, d.APIPerIP.Burst),
	}
	if d.API.Per != time.Second || d.APIPerIP.Per != time.Second {
		t.Fatalf("API limits are not per second: %+v %+v", d.API, d.APIPerIP)
	}
	for path, ops := range loadOpenAPI(t).Paths {
		if path == "/api/v1/openapi.json" {
			continue
		}
		for m, op := range ops {
			r, ok := op.Responses["429"]
			if !ok {
				t.Errorf("%s %s lists no 429", m, path)
				continue
			}
			var ex apiError
			_ = json.Unmarshal(r.Content["application/json"].Example, &ex)
			if _, ok := r.Headers["Retry-After"]; !ok || ex.Error.Code != "rate_limited" {
				t.Errorf("%s %s: 429 without Retry-After or the rate_limited example", m, path)
			}
			for _, l := range limits {
				if !strings.Contains(r.Description, l) {
					t.Errorf("%s %s: 429 does not say %q", m, path, l)
				}
			}
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, api, _ := strings.Cut(string(readme), "## Merchant API")
	api, _, _ = strings.Cut(api, "\n## ")
	for _, want := range []string{"429", "`rate_limited`", "Retry-After",
		fmt.Sprintf("%d requests a second per key (bursts of %d)", d.API.Limit, d.API.Burst),
		fmt.Sprintf("%d per client address (bursts of %d)", d.APIPerIP.Limit, d.APIPerIP.Burst)} {
		if !strings.Contains(api, want) {
			t.Errorf("the README's Merchant API section does not say %q", want)
		}
	}
}

// TestOpenAPIServed: the document is served without a key, as JSON.
func TestOpenAPIServed(t *testing.T) {
	a := newEmbedApp(t, nil, false)
	w := a.do(t, "GET", "/api/v1/openapi.json", nil, nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc["openapi"] == nil {
		t.Errorf("served document: %v", err)
	}
}
