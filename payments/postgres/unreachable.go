package postgres

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unreachable reports whether err says the database cannot be reached
// now, rather than that a statement or this program is wrong: a connection
// that could not be made (refused, no route, the server not accepting
// them: SQLSTATE 57P03 cannot_connect_now), one the server ended (57P01
// admin_shutdown, 57P02 crash_shutdown, the 08 connection_exception class),
// or a statement pgx could not send on a broken connection. A request
// that meets it is answered 503 with Retry-After (handlers), as it is no
// bug of ours and passes with the outage.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || strings.HasPrefix(pe.Code, "08")
	}
	// A statement that never left: pgconn's errors say so by SafeToRetry.
	var pge interface{ SafeToRetry() bool }
	return errors.As(err, &pge) && pge.SafeToRetry()
}
