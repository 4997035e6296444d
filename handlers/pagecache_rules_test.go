package handlers

import (
	"fmt"
	"testing"
)

// TestPageCacheRules: an older version never replaces a newer one (a
// slow render after a state change), a newer one drops the older
// variants, the number of payments kept is bounded, and split finds
// every hole in order.
func TestPageCacheRules(t *testing.T) {
	pc := newPageCache()
	k := pageKey{lang: "en"}
	other := pageKey{lang: "zh-Hans"}
	v2, v3 := &pageParts{size: 2}, &pageParts{size: 3}
	pc.put("pay_a", 3, k, v3)
	pc.put("pay_a", 2, k, v2) // late
	if got, ok := pc.get("pay_a", 3, k); !ok || got != v3 {
		t.Fatal("a late older version replaced the newer page")
	}
	if _, ok := pc.get("pay_a", 2, k); ok {
		t.Fatal("the older version is served")
	}
	pc.put("pay_a", 3, other, v3)
	pc.put("pay_a", 4, k, v2)
	if _, ok := pc.get("pay_a", 4, other); ok {
		t.Fatal("a variant of the old version is served for the new one")
	}
	for i := range 2 * pageCacheEntries {
		pc.put(fmt.Sprintf("pay_%d", i), 1, k, v2)
	}
	if n := len(pc.pages); n > pageCacheEntries {
		t.Fatalf("%d payments kept, want at most %d", n, pageCacheEntries)
	}
	page := "<a>" + pc.nonceMark + "<b>" + pc.tokenMark + "<c>" + pc.nonceMark
	p := pc.split([]byte(page))
	if string(p.holes) != "ntn" || len(p.segs) != 4 || string(p.segs[0]) != "<a>" || string(p.segs[2]) != "<c>" || len(p.segs[3]) != 0 || p.size != 9 {
		t.Fatalf("split = holes %q segs %q size %d", p.holes, p.segs, p.size)
	}
}
