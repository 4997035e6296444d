package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres"
	"github.com/latipay-hpp/hpp/payments/sqlite"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// The growth rows: the same operations measured with 10,000, 100,000 and
// 1,000,000 payments in the database (-growth-sizes), on SQLite and on
// PostgreSQL. The harness grows one database in steps through the store's
// own bulk path (payments.BulkCreator: CreatePayment's and Update's
// statements, thousands of rows per transaction; storetest.GrowthRow
// makes a year of a shop's settled payments), so one run seeds the
// largest size once per store, and keeps a copy of it at each smaller
// size (a file copy for SQLite, CREATE DATABASE ... TEMPLATE for
// PostgreSQL). Only then does it measure, every size -runs times, each
// time with a freshly started app, the sizes interleaved (growRuns: the
// k-th measurement visits the sizes smallest first when k is even and
// largest first when it is odd), so that a size is compared with the
// smallest in neighbouring minutes: on a shared machine the minute moves
// a rate as much as a hundredfold growth of the database does, and
// measuring each size's three times in a row, one size after the other,
// put that drift into the ratio. The k-th measurement of every size goes
// into the k-th run's rows, so the table's median of -runs is the median
// of those measurements. Each operation is measured for -duration or
// -growth-ops operations, whichever ends first, so that measuring does
// not itself grow the database much: the page and the API list first
// (reads, at the size exactly), then creation, checkout start on the
// payments just created and callbacks on those started. A measurement
// adds at most -growth-ops + 256 payments to its size's copy, so the
// k-th of a size's measurements runs with up to k times that many more
// than the size (the "payments" figure of each row says how many). Every
// row is compared with the same operation at the smallest size in the
// same measurement (the ratio column; the table shows the median of the
// ratios). Only the largest size is judged (each rate at 1,000,000 within
// 20% of its rate at 10,000: a ratio of at least 0.8); the sizes between
// are shown with their ratios but not judged (ceilingGrowthShown). A
// memory row per size holds the app's RSS after the operations, judged
// alike at the largest size only.

// growthOps names the measured operations, in the order they run.
var growthOps = []string{"page", "list", "create", "start", "callback"}

// growthName is the scenario name of one growth row.
func growthName(store, op string, size int) string {
	return fmt.Sprintf("growth %s %s %s", store, op, sizeLabel(size))
}

// sizeLabel writes 10000 as 10k and 1000000 as 1M.
func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// parseSizes reads -growth-sizes: ascending positive counts.
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mult := 1
		switch {
		case strings.HasSuffix(f, "M"):
			f, mult = strings.TrimSuffix(f, "M"), 1_000_000
		case strings.HasSuffix(f, "k"):
			f, mult = strings.TrimSuffix(f, "k"), 1000
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-growth-sizes: %q is not a positive count", f)
		}
		n *= mult
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("-growth-sizes: sizes must ascend (%d after %d)", n, out[len(out)-1])
		}
		out = append(out, n)
	}
	return out, nil
}

// The ceiling column of a growth row: judged against the smallest size
// (the largest size's rows), or only shown beside it (the sizes between).
const (
	ceilingGrowth      = "growth"
	ceilingGrowthShown = "growth, shown, not judged"
)

// withBaseline compares each growth row with the same operation's row at
// the first size: ratio = rate / first rate (for memory rows, RSS / first
// RSS). The last size's rows are judged on it (ceilingGrowth); those of
// the sizes between show it only (ceilingGrowthShown).
func withBaseline(rows []row, store string, sizes []int) {
	base := map[string]row{}
	for i := range rows {
		r := &rows[i]
		for _, op := range append(growthOps, "memory") {
			for j, size := range sizes {
				if r.Scenario != growthName(store, op, size) {
					continue
				}
				if j == 0 {
					base[op] = *r
					continue
				}
				b, ok := base[op]
				if !ok {
					continue
				}
				r.Ceiling = ceilingGrowth
				if j < len(sizes)-1 {
					r.Ceiling = ceilingGrowthShown
				}
				if op == "memory" {
					if b.RSSMB > 0 {
						r.CeilingRate, r.Ratio = b.RSSMB, r.RSSMB/b.RSSMB
					}
				} else if b.PerSecond > 0 {
					r.CeilingRate, r.Ratio = b.PerSecond, r.PerSecond/b.PerSecond
				}
			}
		}
	}
}

// growthStore is one store the growth rows run on.
type growthStore struct {
	name     string
	database string // HPP_DATABASE of the app
	// admin, for PostgreSQL, is the server's admin URL and dbName the
	// database's name: each operation's row then also has the server's
	// CPU, WAL and reads per operation (pgMeter).
	admin, dbName string
	open          func(ctx context.Context) (payments.BulkCreator, func() error, error)
	workers       int // seeding transactions in flight
	drop          func()
	// snapshot copies the database as seeded so far into a new one, which
	// is then measured as that size while this one grows on; drop
	// removes the copy.
	snapshot func(ctx context.Context, label string) (database, dbName string, drop func(), err error)
	// settle, if set, runs after seeding: what PostgreSQL's autovacuum
	// and checkpointer have done for tables that grew over a year
	// (planner statistics, the visibility map, the seed's dirty pages
	// written out), which tables that grew in minutes have not had yet.
	// Without it the first measurement after a large seed ran beside
	// autovacuum's pass over the new rows and the checkpoint of the
	// seed: at 1,000,000 payments every figure of that measurement fell
	// (the simulator's CPU per checkout start, work the database does
	// not touch, rose 310 -> 1,235 us).
	settle func(ctx context.Context) error
}

func (h *harness) growthStores(ctx context.Context) ([]growthStore, []row, error) {
	path := filepath.Join(h.dir, fmt.Sprintf("growth-%d.db", time.Now().UnixNano()))
	var stores []growthStore
	if h.growthOn["sqlite"] {
		stores = append(stores, growthStore{name: "sqlite", database: path, workers: 1, drop: func() { os.Remove(path) },
			snapshot: func(ctx context.Context, label string) (string, string, func(), error) {
				dst := strings.TrimSuffix(path, ".db") + "-" + label + ".db"
				drop := func() {
					for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
						os.Remove(dst + suffix)
					}
				}
				if err := copyDB(path, dst); err != nil {
					drop()
					return "", "", nil, err
				}
				return dst, "", drop, nil
			},
			open: func(ctx context.Context) (payments.BulkCreator, func() error, error) {
				db, err := sqlite.Open(ctx, path, time.Now)
				if err != nil {
					return nil, nil, err
				}
				return db, db.Close, nil
			}})
	}
	var skipped []row
	if !h.growthOn["postgres"] {
		return stores, skipped, nil
	}
	admin := os.Getenv("HPP_TEST_POSTGRES")
	if admin == "" {
		skipped = append(skipped, row{Scenario: "growth postgres", Skipped: "no PostgreSQL (set HPP_TEST_POSTGRES, e.g. `source .ci/postgres`)"})
		return stores, skipped, nil
	}
	dbURL, drop, err := createDatabase(ctx, admin, "")
	if err != nil {
		return nil, nil, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		drop()
		return nil, nil, err
	}
	name := strings.TrimPrefix(u.Path, "/")
	stores = append(stores, growthStore{name: "postgres", database: dbURL, workers: 4, drop: drop,
		admin: admin, dbName: name,
		snapshot: func(ctx context.Context, _ string) (string, string, func(), error) {
			copyURL, drop, err := createDatabase(ctx, admin, name)
			if err != nil {
				return "", "", nil, err
			}
			u, err := url.Parse(copyURL)
			if err != nil {
				drop()
				return "", "", nil, err
			}
			return copyURL, strings.TrimPrefix(u.Path, "/"), drop, nil
		},
		settle: func(ctx context.Context) error {
			c, err := pgx.Connect(ctx, dbURL)
			if err != nil {
				return err
			}
			defer c.Close(ctx)
			if _, err := c.Exec(ctx, "VACUUM (ANALYZE)"); err != nil {
				return err
			}
			// CHECKPOINT needs the pg_checkpoint role (.ci/postgres
			// grants it to its test role).
			_, err = c.Exec(ctx, "CHECKPOINT")
			return err
		},
		open: func(ctx context.Context) (payments.BulkCreator, func() error, error) {
			db, err := postgres.Open(ctx, dbURL, time.Now)
			if err != nil {
				return nil, nil, err
			}
			return db, db.Close, nil
		}})
	return stores, skipped, nil
}

// growth runs the growth rows on every store: reps measurements of every
// size, the k-th measurement's rows in out[k].
func (h *harness) growth(ctx context.Context, stderr io.Writer, reps int) (out [][]row, err error) {
	stores, skipped, err := h.growthStores(ctx)
	out = make([][]row, reps)
	for k := range out {
		out[k] = append(out[k], skipped...)
	}
	if err != nil {
		return out, err
	}
	saved, savedIDs := h.app, h.renderIDs
	defer func() { h.app, h.renderIDs = saved, savedIDs }()
	end := time.Now()
	for _, st := range stores {
		// copies[i] is the database measured as sizes[i]; the largest is
		// the grown one itself.
		copies := make([]growthStore, len(h.growthSizes))
		seed := func(from, to int) error {
			fmt.Fprintf(stderr, "load:   growth %s: seeding payments %d to %d\n", st.name, from+1, to)
			return seedStore(ctx, st, from, to, end)
		}
		snapshot := func(i int) error {
			c := st
			if i < len(h.growthSizes)-1 {
				fmt.Fprintf(stderr, "load:   growth %s: copying the database at %s\n", st.name, sizeLabel(h.growthSizes[i]))
				database, dbName, drop, err := st.snapshot(ctx, sizeLabel(h.growthSizes[i]))
				if err != nil {
					return fmt.Errorf("copy at %s: %w", sizeLabel(h.growthSizes[i]), err)
				}
				c.database, c.dbName, c.drop = database, dbName, drop
			}
			copies[i] = c
			return nil
		}
		measure := func(i, rep, payments int) ([]row, int, error) {
			size := h.growthSizes[i]
			fmt.Fprintf(stderr, "load:   growth %s %s: measurement %d of %d (%d payments)\n", st.name, sizeLabel(size), rep+1, reps, payments)
			return h.measureGrowth(ctx, stderr, copies[i], size)
		}
		rs, err := growRuns(h.growthSizes, reps, seed, snapshot, measure)
		for i, c := range copies {
			if c.drop != nil && i < len(copies)-1 {
				c.drop()
			}
		}
		st.drop()
		for k := range rs {
			withBaseline(rs[k], st.name, h.growthSizes)
			out[k] = append(out[k], rs[k]...)
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return out, nil
}

// growRuns grows one database through every size in turn (seed(from, to)
// adds payments from+1..to) and has snapshot(i) keep it as sizes[i] once
// it holds that many; then it measures every size reps times
// (measure(i, rep, payments) returns the rows and how many payments
// measuring created; payments is how many that size's database holds
// then), interleaved: measurement k visits the sizes in ascending order
// when k is even and in descending order when k is odd, so over three
// measurements each size sits as often before as after the others. The
// k-th measurement of every size is in rows[k], smallest size first. Each
// row gets "payments", and the first row of each size's first
// measurement the size's seeding rate as "seeded_per_second".
func growRuns(sizes []int, reps int, seed func(from, to int) error, snapshot func(i int) error, measure func(i, rep, payments int) ([]row, int, error)) ([][]row, error) {
	rows := make([][]row, reps)
	have := make([]int, len(sizes))
	seedRate := make([]float64, len(sizes))
	seeded := 0
	for i, size := range sizes {
		t0 := time.Now()
		if err := seed(seeded, size); err != nil {
			return rows, err
		}
		if secs := time.Since(t0).Seconds(); secs > 0 && size > seeded {
			seedRate[i] = float64(size-seeded) / secs
		}
		seeded, have[i] = size, size
		if err := snapshot(i); err != nil {
			return rows, err
		}
	}
	for k := range reps {
		got := make([][]row, len(sizes))
		for j := range sizes {
			i := j
			if k%2 == 1 {
				i = len(sizes) - 1 - j
			}
			rs, n, err := measure(i, k, have[i])
			if err != nil {
				return rows, fmt.Errorf("%s: %w", sizeLabel(sizes[i]), err)
			}
			for r := range rs {
				if rs[r].Extra == nil {
					rs[r].Extra = map[string]float64{}
				}
				rs[r].Extra["payments"] = float64(have[i])
				if r == 0 && k == 0 && seedRate[i] > 0 {
					rs[r].Extra["seeded_per_second"] = seedRate[i]
				}
			}
			got[i] = rs
			have[i] += n
		}
		for _, rs := range got {
			rows[k] = append(rows[k], rs...)
		}
	}
	return rows, nil
}

// seedStore adds GrowthRow payments from+1..to to st, chunks of 5,000 a
// transaction, st.workers transactions at a time.
func seedStore(ctx context.Context, st growthStore, from, to int, end time.Time) error {
	if to <= from {
		return nil
	}
	s, closeStore, err := st.open(ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	w := max(1, st.workers)
	span := (to - from + w - 1) / w
	var wg sync.WaitGroup
	errs := make([]error, w)
	for k := range w {
		lo, hi := from+k*span, min(to, from+(k+1)*span)
		if lo >= hi {
			continue
		}
		wg.Go(func() { _, errs[k] = storetest.Grow(ctx, s, lo, hi, 5000, end) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	if st.settle != nil {
		if err := st.settle(ctx); err != nil {
			return fmt.Errorf("settle (VACUUM, CHECKPOINT): %w", err)
		}
	}
	return nil
}

// measureGrowth starts the app on st's database, measures each operation
// and the memory, stops the app, and returns the rows and how many
// payments it created.
func (h *harness) measureGrowth(ctx context.Context, stderr io.Writer, st growthStore, size int) ([]row, int, error) {
	app, _, _, err := h.startApp(ctx, "growth-"+st.name+"-"+sizeLabel(size), st.database, nil)
	if err != nil {
		return nil, 0, err
	}
	defer app.stop()
	// A large SQLite file is integrity-checked in the background after
	// start-up (payments/sqlite/health.go), reading every page: measure
	// once it is done and the app says it is ready.
	if err := waitReady(ctx, app, 10*time.Minute); err != nil {
		return nil, 0, err
	}
	h.app, h.renderIDs = app, nil
	idle := app.mem()
	created := 0
	var rows []row
	// meter starts measuring the processes' CPU (and the server's, for
	// PostgreSQL); its result adds them per operation to a row.
	meter := func(op string) (func(r *row, n int), error) {
		m := meterCPU(h.procs())
		if st.admin == "" {
			return func(r *row, n int) { m.perOp(r, n) }, nil
		}
		pm, err := meterPG(ctx, st.admin, st.dbName)
		if err != nil {
			return nil, err
		}
		return func(r *row, n int) {
			m.perOp(r, n)
			fmt.Fprintf(stderr, "load:     %s: PostgreSQL server: %s\n", op, pm.finish(ctx, r, n))
		}, nil
	}
	addRow := func(op string, r row) {
		r.Scenario = growthName(st.name, op, size)
		if r.Extra == nil {
			r.Extra = map[string]float64{}
		}
		rows = append(rows, r)
	}
	// page: the render scenario's 256 payments, closed loop.
	ids, err := h.renderPayments(ctx)
	if err != nil {
		return nil, created, err
	}
	created += len(ids)
	count, err := meter("page")
	if err != nil {
		return nil, created, err
	}
	s := drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
		if i >= h.growthOps {
			return errNoWork
		}
		return h.getPage(ctx, ids[i%len(ids)])
	})
	r := h.withMem(fromSample("", s), "")
	count(&r, s.N)
	addRow("page", r)

	// list: GET /api/v1/payments, 50 a page: the first page, the next
	// one (its cursor), paid ones, refunded ones (1% of payments).
	next, err := h.listPage(ctx, "limit=50")
	if err != nil {
		return nil, created, err
	}
	queries := []string{"limit=50", "limit=50&cursor=" + url.QueryEscape(next), "limit=50&status=paid", "limit=50&status=refunded"}
	count, err = meter("list")
	if err != nil {
		return nil, created, err
	}
	s = drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
		if i >= h.growthOps {
			return errNoWork
		}
		_, err := h.listPage(ctx, queries[i%len(queries)])
		return err
	})
	r = h.withMem(fromSample("", s), "")
	count(&r, s.N)
	addRow("list", r)

	// create, then start the payments created, then pay the started ones.
	var mu sync.Mutex
	var fresh []string
	count, err = meter("create")
	if err != nil {
		return nil, created, err
	}
	s = drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
		if i >= h.growthOps {
			return errNoWork
		}
		id, err := h.createPayment(ctx, app.url, 2_000_000_000+size+i)
		if err != nil {
			return err
		}
		mu.Lock()
		fresh = append(fresh, id)
		mu.Unlock()
		return nil
	})
	created += len(fresh)
	r = h.withMem(fromSample("", s), "")
	count(&r, s.N)
	addRow("create", r)

	done := make([]bool, len(fresh))
	count, err = meter("start")
	if err != nil {
		return nil, created, err
	}
	s = drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
		if i >= len(fresh) {
			return errNoWork
		}
		if err := h.startPayment(ctx, app.url, fresh[i]); err != nil {
			return err
		}
		done[i] = true
		return nil
	})
	r = h.withMem(fromSample("", s), "")
	count(&r, s.N)
	addRow("start", r)

	led, err := h.ledger(ctx)
	if err != nil {
		return nil, created, err
	}
	var forms []string
	for i, id := range fresh {
		if t, ok := led[id]; ok && done[i] {
			forms = append(forms, h.paidForm(t))
		}
	}
	count, err = meter("callback")
	if err != nil {
		return nil, created, err
	}
	s = drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
		if i >= len(forms) {
			return errNoWork
		}
		return h.postCallback(ctx, app.url, forms[i])
	})
	r = h.withMem(fromSample("", s), "")
	count(&r, s.N)
	addRow("callback", r)

	mem := app.mem()
	addRow("memory", row{RSSMB: mb(mem.RSS), HWMMB: mb(mem.HWM), Extra: map[string]float64{"idle_rss_mb": mb(idle.RSS)}})
	return rows, created, nil
}

// listPage gets one page of GET /api/v1/payments?query and returns its
// next_cursor.
func (h *harness) listPage(ctx context.Context, query string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.app.url+"/api/v1/payments?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+h.apiKey)
	resp, err := h.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := statusErr("list", resp.StatusCode, http.StatusOK); err != nil {
		return "", err
	}
	var out struct {
		Data       []json.RawMessage `json:"data"`
		NextCursor string            `json:"next_cursor"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Data) == 0 {
		return "", fmt.Errorf("list %s: %d payments, %v", query, len(out.Data), err)
	}
	return out.NextCursor, nil
}

// waitReady polls /readyz until it answers 200.
func waitReady(ctx context.Context, p *proc, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: /readyz not 200 after %s", p.name, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// copyDB copies a closed SQLite database (its file, and its WAL if one was
// left) to dst and flushes the copy to the disk, so that its writeback
// does not fall into a measurement.
func copyDB(src, dst string) error {
	for _, suffix := range []string{"", "-wal"} {
		in, err := os.Open(src + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return err
		}
		out, err := os.OpenFile(dst+suffix, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			in.Close()
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if err == nil {
			err = out.Sync()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
