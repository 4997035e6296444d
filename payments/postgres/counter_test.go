package postgres

import (
	"testing"

	"github.com/latipay-hpp/hpp/payments/counter/countertest"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// TestCounterStore runs the counter contract, each test in its own schema.
func TestCounterStore(t *testing.T) {
	pgtest.URL(t)
	countertest.Run(t, func(t *testing.T) countertest.Store { return mustOpen(t, pgtest.Schema(t)) })
}
