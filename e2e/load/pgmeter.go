package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgMeter measures, over pg2's timed part, what the PostgreSQL server
// spends and waits on: the CPU of the server processes that serve the
// run's database (every backend of both instances: pools, listeners,
// doorbells) and of the server's own processes (WAL writer,
// checkpointer, background writer, autovacuum launcher),
// read from /proc as the app's is; and pg_stat_activity sampled every
// 100 ms, counting each busy backend of the database by its wait event
// ("CPU" when it waits on none). The server is shared with nothing else
// in a quiet run; other databases' backends are not counted either way.
//
// Two counts do not depend on how busy the machine is, so they compare
// runs and sizes exactly: the WAL the server wrote (pg_current_wal_lsn,
// the whole server's, which is this database's alone in a quiet run) and
// what the counted processes read through read(2), from /proc/PID/io's
// rchar: the data and index pages a backend had to fetch from the
// operating system because they were not in shared buffers (sockets are
// read with recv(2), which rchar does not count). /proc/PID/io is
// readable by root or the server's own user; otherwise that figure is
// left out.
type pgMeter struct {
	c      *pgx.Conn
	db     string
	at     map[int]time.Duration // CPU of each process when the meter started
	read   map[int]int64         // its rchar then (-1 when unreadable)
	lsn    string                // the WAL position then
	label  map[int]string        // its application_name, or its type for the server's own
	stop   context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	waits  map[string]int
	sample int
}

// pgServerProcs is the processes the meter counts: the database's
// backends and the server's own writers.
// A role without pg_read_all_stats sees the server's own processes
// without their type: they are the rows with no database.
const pgServerProcs = `SELECT pid, CASE WHEN datname = $1 THEN application_name
	ELSE COALESCE(backend_type, 'server') END
	FROM pg_stat_activity WHERE datname = $1 OR datname IS NULL`

// meterPG starts a meter on the database named db, through a connection
// of its own to the admin URL (its own backend is not counted).
func meterPG(ctx context.Context, admin, db string) (*pgMeter, error) {
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	m := &pgMeter{c: c, db: db, waits: map[string]int{}, label: map[int]string{}, done: make(chan struct{})}
	if m.at, m.read, err = m.cpu(ctx); err != nil {
		c.Close(ctx)
		return nil, err
	}
	if err := c.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&m.lsn); err != nil {
		c.Close(ctx)
		return nil, fmt.Errorf("postgres: %w", err)
	}
	sctx, stop := context.WithCancel(ctx)
	m.stop = stop
	go m.sampleWaits(sctx)
	return m, nil
}

// cpu reads the CPU used so far by each counted process, and the bytes it
// has read through read(2) (rcharOf).
func (m *pgMeter) cpu(ctx context.Context) (map[int]time.Duration, map[int]int64, error) {
	rows, err := m.c.Query(ctx, pgServerProcs, m.db)
	if err != nil {
		return nil, nil, fmt.Errorf("pg_stat_activity: %w", err)
	}
	out, read := map[int]time.Duration{}, map[int]int64{}
	var pid int32
	var label string
	_, err = pgx.ForEachRow(rows, []any{&pid, &label}, func() error {
		out[int(pid)] = cpuOf(int(pid))
		read[int(pid)] = rcharOf(int(pid))
		m.label[int(pid)] = label
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("pg_stat_activity: %w", err)
	}
	return out, read, nil
}

// rcharOf is the bytes process pid has read through read(2) and its
// kind (rchar in /proc/PID/io), or -1 when that file cannot be read.
func rcharOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// sampleWaits counts the wait events of the database's busy backends
// every 100 ms until ctx ends. It has a connection of its own, so the
// CPU reads at the end do not wait for it.
func (m *pgMeter) sampleWaits(ctx context.Context) {
	defer close(m.done)
	c, err := pgx.ConnectConfig(ctx, m.c.Config().Copy())
	if err != nil {
		return
	}
	defer c.Close(context.Background())
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rows, err := c.Query(ctx, `SELECT COALESCE(wait_event_type || ': ' || wait_event, 'CPU')
			FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()`, m.db)
		if err != nil {
			return
		}
		evs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return
		}
		m.mu.Lock()
		m.sample++
		for _, e := range evs {
			m.waits[e]++
		}
		m.mu.Unlock()
	}
}

// finish stops the meter, adds pg_cpu_us_per_op (the counted processes'
// CPU over n operations), pg_wal_kb_per_op (the WAL written) and, when
// /proc/PID/io was readable for every counted process, pg_read_kb_per_op
// (what they read from the operating system) to r, and returns that CPU per operation by
// application name (the server's own processes by their type) and the
// wait events seen, most frequent first, with the number of samples.
func (m *pgMeter) finish(ctx context.Context, r *row, n int) string {
	m.stop()
	<-m.done
	defer m.c.Close(context.WithoutCancel(ctx))
	now, read, err := m.cpu(ctx)
	by := map[string]time.Duration{}
	if err == nil && n > 0 {
		var d time.Duration
		var bytes int64
		for pid, c := range now {
			d += c - m.at[pid] // a backend that started meanwhile counts from 0
			by[m.label[pid]] += c - m.at[pid]
			if bytes >= 0 && read[pid] >= 0 && m.read[pid] >= 0 {
				bytes += read[pid] - m.read[pid] // 0 for a backend new since the start
			} else {
				bytes = -1
			}
		}
		if r.Extra == nil {
			r.Extra = map[string]float64{}
		}
		r.Extra["pg_cpu_us_per_op"] = float64(d.Microseconds()) / float64(n)
		if bytes >= 0 {
			r.Extra["pg_read_kb_per_op"] = float64(bytes) / 1024 / float64(n)
		}
		var wal int64
		if m.c.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", m.lsn).Scan(&wal) == nil {
			r.Extra["pg_wal_kb_per_op"] = float64(wal) / 1024 / float64(n)
		}
	}
	var cpu []string
	for _, l := range slices.Sorted(maps.Keys(by)) {
		cpu = append(cpu, fmt.Sprintf("%s %.0f", cmp.Or(l, "(no name)"), float64(by[l].Microseconds())/float64(max(n, 1))))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	evs := slices.SortedFunc(maps.Keys(m.waits), func(a, b string) int {
		return cmp.Or(cmp.Compare(m.waits[b], m.waits[a]), strings.Compare(a, b))
	})
	var parts []string
	for _, e := range evs[:min(len(evs), 8)] {
		parts = append(parts, fmt.Sprintf("%s %d", e, m.waits[e]))
	}
	return fmt.Sprintf("CPU µs per op: %s; %d samples of busy backends: %s",
		strings.Join(cpu, ", "), m.sample, strings.Join(parts, ", "))
}
