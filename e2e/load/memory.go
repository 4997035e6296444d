package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"
)

// memoryPhases is how many times the memory scenario doubles the
// payments in the database.
const memoryPhases = 4

// memorySizes are the payments in the database at each phase of the
// memory scenario: base, then doubling.
func memorySizes(base int) []int {
	out := make([]int, memoryPhases)
	for i := range out {
		out[i] = base << i
	}
	return out
}

// memoryGrowth is the last phase's RSS over the first's: 1 when memory
// does not grow with the payments in the database.
func memoryGrowth(rss []int64) float64 {
	if len(rss) < 2 || rss[0] <= 0 {
		return 0
	}
	return float64(rss[len(rss)-1]) / float64(rss[0])
}

// memory: a load that doubles. On an instance of its own, the database
// grows from -memory-base payments to 8 times as many, doubling each
// phase; after each growth the checkout page of a random payment among
// all of them is fetched for -duration (every page a different payment,
// so the store's payment cache and the page cache turn over), and the
// instance's RSS is read. Bounded memory means the last phase's RSS is
// about the first's, not 8 times it.
func (h *harness) memory(ctx context.Context) (row, error) {
	app, _, _, err := h.startApp(ctx, "memory", filepath.Join(h.dir, fmt.Sprintf("memory-%d.db", time.Now().UnixNano())), nil)
	if err != nil {
		return row{}, err
	}
	defer app.stop()
	saved := h.app
	h.app = app // getPage and withMem use h.app
	defer func() { h.app = saved }()
	var ids []string
	var rss []int64
	r := row{Extra: map[string]float64{}}
	var pages sample
	for _, n := range memorySizes(h.memoryBase) {
		more, err := h.prepare(ctx, app.url, n-len(ids), false)
		if err != nil {
			return row{}, err
		}
		ids = append(ids, more...)
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		pick := make([]int, 1<<16)
		for i := range pick {
			pick[i] = rng.IntN(len(ids))
		}
		pages = drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
			return h.getPage(ctx, ids[pick[i%len(pick)]])
		})
		if pages.Errors > 0 {
			return row{}, fmt.Errorf("pages at %d payments: %d errors, first: %s", n, pages.Errors, pages.FirstErr)
		}
		m := app.mem()
		rss = append(rss, m.RSS)
		r.Extra[fmt.Sprintf("rss_mb_at_%d", n)] = mb(m.RSS)
		r.Extra[fmt.Sprintf("pages_per_second_at_%d", n)] = pages.rate()
	}
	r.Extra["growth"] = memoryGrowth(rss)
	m := app.mem()
	r.RSSMB, r.HWMMB, r.N = mb(m.RSS), mb(m.HWM), len(ids)
	r.PerSecond, r.P50ms, r.P99ms = pages.rate(), ms(pct(pages.Lat, 50)), ms(pct(pages.Lat, 99))
	return r, nil
}
