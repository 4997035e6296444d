package postgres

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// BenchmarkCreateParallel is the store's half of payment creation from 32
// goroutines: CreatePayment with its event and idempotency key, the
// payment's indexes (the trigram and word indexes of the search box
// included) kept by the server. Besides ns/op it reports the server's
// CPU per payment (pg-cpu-µs/op) when the server runs on this machine:
// the user and system time, from /proc, of the backends serving the
// store's pool, which is where an index's cost shows.
func BenchmarkCreateParallel(b *testing.B) {
	db := mustOpen(b, pgtest.Schema(b))
	now := time.Now()
	var next atomic.Int64
	run := strconv.Itoa(b.N)
	b.SetParallelism(16) // 32 goroutines on 2 CPUs
	pids := backends(b, db)
	before := serverCPU(pids)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			p := payments.Payment{ID: fmt.Sprintf("pay_%s_%024d", run, i), Reference: fmt.Sprintf("load-%s-%d", run, i),
				Amount: 1250, Currency: payments.NZD, Description: "Load test order", Status: payments.StatusCreated,
				Source: "api", ReturnURL: "https://shop.example/return", Version: 1,
				CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
			_, _, err := db.CreatePayment(b.Context(), p, payments.Event{Type: "payment.created", To: payments.StatusCreated, CreatedAt: now},
				payments.Idempotency{Key: "load-" + run + "-" + strconv.FormatInt(i, 10), Hash: "h"})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if after := serverCPU(pids); before > 0 && after > before {
		b.ReportMetric(float64((after-before).Microseconds())/float64(b.N), "pg-cpu-µs/op")
	}
}

// backends holds every connection of the store's pool at once and
// returns their server processes' ids.
func backends(b *testing.B, db *DB) []int {
	var pids []int
	var held []*pgxpool.Conn
	for range db.pool.Config().MaxConns {
		c, err := db.pool.Acquire(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		held = append(held, c)
		var pid int
		if err := c.QueryRow(b.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			b.Fatal(err)
		}
		pids = append(pids, pid)
	}
	for _, c := range held {
		c.Release()
	}
	return pids
}

// serverCPU is the CPU time used so far by the processes pids, or 0
// where none can be read (a server on another machine).
func serverCPU(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "postgres" {
			continue
		}
		fields := strings.Fields(s[end+1:]) // state is fields[0]; utime and stime are the 14th and 15th of the line
		if len(fields) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}
