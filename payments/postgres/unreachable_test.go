package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestUnreachable: a refused connection and the server's shutdown codes
// are the database out of reach; a statement's own error is not.
func TestUnreachable(t *testing.T) {
	_, refused := pgx.Connect(t.Context(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=5")
	for name, c := range map[string]struct {
		err  error
		want bool
	}{
		"connection refused": {refused, true},
		"admin shutdown":     {fmt.Errorf("postgres: get: %w", &pgconn.PgError{Code: "57P01"}), true},
		"cannot connect now": {&pgconn.PgError{Code: "57P03"}, true},
		"connection failure": {&pgconn.PgError{Code: "08006"}, true},
		"unique violation":   {&pgconn.PgError{Code: "23505"}, false},
		"serialization":      {&pgconn.PgError{Code: "40001"}, false},
		"no rows":            {pgx.ErrNoRows, false},
		"some error of ours": {errors.New("postgres: bad argument"), false},
		"none":               {nil, false},
	} {
		if got := Unreachable(c.err); got != c.want {
			t.Errorf("%s (%v): Unreachable = %v, want %v", name, c.err, got, c.want)
		}
	}
}
