package handlers

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
)

// checkQuery refuses a query string the endpoint would misread: a
// parameter it does not take (a filter it does not have would otherwise
// be dropped, and ?currency=AUD would answer every currency as if
// filtered), a documented name in another case ("Status"), one given
// twice (only the first would count), or a query string that cannot be
// parsed. It is the query's counterpart of decodeAPIBody refusing unknown
// fields. allowed are the endpoint's documented names, in the order the
// message lists them; none means the endpoint takes no parameter.
func checkQuery(c *gin.Context, allowed ...string) error {
	q, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return &payments.ValidationError{Problems: []string{"the query string could not be read: each parameter must be name=value, percent-encoded"}}
	}
	takes := "this endpoint takes no query parameters"
	switch len(allowed) {
	case 0:
	case 1:
		takes = "this endpoint takes only " + allowed[0]
	default:
		takes = "this endpoint takes " + strings.Join(allowed[:len(allowed)-1], ", ") + " and " + allowed[len(allowed)-1]
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		switch {
		case !slices.Contains(allowed, k):
			msg := fmt.Sprintf("unknown query parameter %q: %s", k, takes)
			for _, n := range allowed {
				if strings.EqualFold(n, k) {
					msg = fmt.Sprintf("unknown query parameter %q: parameter names are case-sensitive, this one is %q", k, n)
				}
			}
			problems = append(problems, msg)
		case len(q[k]) > 1:
			problems = append(problems, fmt.Sprintf("query parameter %q is given %d times: give it once", k, len(q[k])))
		}
	}
	if len(problems) > 0 {
		return &payments.ValidationError{Problems: problems}
	}
	return nil
}
