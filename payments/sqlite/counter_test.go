package sqlite

import (
	"testing"

	"github.com/latipay-hpp/hpp/payments/counter/countertest"
)

func TestCounterStore(t *testing.T) {
	countertest.Run(t, func(t *testing.T) countertest.Store { return newTestDB(t) })
}
