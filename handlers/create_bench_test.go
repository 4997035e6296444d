package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkCreate is the creation scenario of e2e/load through the real
// router over the real SQLite store, without the network: POST
// /api/v1/payments with an Idempotency-Key, the harness's body, from 64
// goroutines, each answered 201 only once its group-committed
// transaction (payment, event, idempotency key, and every index and
// trigger on them) is durable. cpu-µs/op is what the harness's
// "CPU per op (app)" column measures; ns/op is wall time shared by the
// 64 waiting on commits.
func BenchmarkCreate(b *testing.B) {
	_, h := newBenchApp(b)
	var n atomic.Int64
	run := fmt.Sprintf("%d", b.N)
	b.SetParallelism(32) // 64 goroutines on two cores, as the harness's 64 connections
	b.ReportAllocs()
	stop := benchCPU(b)
	defer stop()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"amount":"12.50","currency":"NZD","reference":"load-%s-%d","description":"Load test order","return_url":"https://shop.example/return"}`, run, i)
			r := httptest.NewRequest(http.MethodPost, "/api/v1/payments", strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+testAPIKey)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Idempotency-Key", fmt.Sprintf("load-%s-%d", run, i))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusCreated {
				b.Errorf("create: %d %s", w.Code, w.Body)
				return
			}
		}
	})
}
