package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"time"
)

// The writer goroutine runs its statements on the write connection's
// driver connection itself (sql.Conn.Raw), not through database/sql. The
// connection is pinned for the whole batch and used by that one goroutine,
// so what database/sql adds per statement buys nothing there: a goroutine
// per row set watching the transaction's context, the statement bound to
// the transaction, the arguments converted into a new slice, the
// reflection of Scan. Its statements are prepared once on that connection
// and kept (rawConn.stmts); they run with a background context, which the
// driver does not watch: a write's statement is never interrupted, as an
// interrupt would roll back every write of the batch.

// rawConn is the writer goroutine's: the write connection's driver
// connection as the last batch saw it and the statements prepared on it.
type rawConn struct {
	conn   driver.Conn            // the connection stmts belong to
	stmts  map[string]driver.Stmt // prepared on conn, by query text
	keep   map[string]bool        // the texts kept prepared (txQueries); others are prepared for one use
	args   []driver.NamedValue    // one statement's arguments, reused
	closed bool                   // close ran: nothing is prepared again
}

func newRawConn(keep []string) *rawConn {
	r := &rawConn{stmts: map[string]driver.Stmt{}, keep: map[string]bool{}}
	for _, q := range keep {
		r.keep[q] = true
	}
	return r
}

// attach makes c the connection the statements run on. database/sql
// replaces the pool's connection only after the driver called it broken;
// statements of the old one are dropped unclosed, as the connection is
// closed already (closing one then would use its freed state).
func (r *rawConn) attach(c any) (*rawConn, error) {
	dc, ok := c.(driver.Conn)
	if !ok {
		return nil, fmt.Errorf("sqlite: the driver's connection is a %T", c)
	}
	if r.conn != dc {
		r.conn, r.stmts = dc, map[string]driver.Stmt{}
	}
	return r, nil
}

// close closes the statements, on the write connection (Close, once the
// writer goroutine has stopped).
func (r *rawConn) close(ctx context.Context, pool *sql.DB) error {
	r.closed = true
	if len(r.stmts) == 0 {
		return nil
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(c any) error {
		var errs []error
		if dc, ok := c.(driver.Conn); ok && dc == r.conn {
			for q, st := range r.stmts {
				errs = append(errs, st.Close())
				delete(r.stmts, q)
			}
		}
		return errors.Join(errs...)
	})
}

// stmt returns the statement for query and whether it is kept prepared.
func (r *rawConn) stmt(query string) (driver.Stmt, bool, error) {
	if st := r.stmts[query]; st != nil {
		return st, true, nil
	}
	p, ok := r.conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, false, fmt.Errorf("sqlite: the driver's connection %T cannot prepare", r.conn)
	}
	st, err := p.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, false, err
	}
	if r.keep[query] && !r.closed {
		r.stmts[query] = st
		return st, true, nil
	}
	return st, false, nil
}

// begin begins a transaction (BEGIN IMMEDIATE: the write pool's _txlock).
func (r *rawConn) begin() (driver.Tx, error) {
	b, ok := r.conn.(driver.ConnBeginTx)
	if !ok {
		return nil, fmt.Errorf("sqlite: the driver's connection %T cannot begin", r.conn)
	}
	return b.BeginTx(context.Background(), driver.TxOptions{})
}

// bind converts args as database/sql would (driver.DefaultParameterConverter)
// into r.args.
func (r *rawConn) bind(args []any) ([]driver.NamedValue, error) {
	r.args = r.args[:0]
	for i, a := range args {
		switch v := a.(type) {
		case nil, string, int64, bool, []byte, float64, time.Time:
		case int:
			a = int64(v)
		default:
			var err error
			if a, err = driver.DefaultParameterConverter.ConvertValue(a); err != nil {
				return nil, fmt.Errorf("sqlite: argument $%d: %w", i+1, err)
			}
		}
		r.args = append(r.args, driver.NamedValue{Ordinal: i + 1, Value: a})
	}
	return r.args, nil
}

// exec runs query with args.
func (r *rawConn) exec(query string, args []any) (sql.Result, error) {
	st, kept, err := r.stmt(query)
	if err != nil {
		return nil, err
	}
	if !kept {
		defer st.Close()
	}
	nv, err := r.bind(args)
	if err != nil {
		return nil, err
	}
	x, ok := st.(driver.StmtExecContext)
	if !ok {
		return nil, fmt.Errorf("sqlite: the driver's statement %T cannot exec", st)
	}
	return x.ExecContext(context.Background(), nv)
}

// query runs query with args; the caller closes the rows.
func (r *rawConn) query(query string, args []any) (*rawRows, error) {
	st, kept, err := r.stmt(query)
	if err != nil {
		return nil, err
	}
	nv, err := r.bind(args)
	if err != nil {
		if !kept {
			st.Close()
		}
		return nil, err
	}
	x, ok := st.(driver.StmtQueryContext)
	if !ok {
		if !kept {
			st.Close()
		}
		return nil, fmt.Errorf("sqlite: the driver's statement %T cannot query", st)
	}
	rows, err := x.QueryContext(context.Background(), nv)
	if err != nil {
		if !kept {
			st.Close()
		}
		return nil, err
	}
	rr := &rawRows{rows: rows, vals: make([]driver.Value, len(rows.Columns()))}
	if !kept {
		rr.stmt = st
	}
	return rr, nil
}

// queryRow runs query with args and reads its first row, as
// sql.DB.QueryRowContext does: no row scans as sql.ErrNoRows.
func (r *rawConn) queryRow(query string, args []any) rawRow {
	rows, err := r.query(query, args)
	if err != nil {
		return rawRow{err: err}
	}
	if !rows.Next() {
		err := rows.Err()
		if err == nil {
			err = sql.ErrNoRows
		}
		rows.Close()
		return rawRow{err: err}
	}
	row := rawRow{vals: rows.vals}
	row.err = rows.Close()
	return row
}

// rawRow is one row read by queryRow.
type rawRow struct {
	vals []driver.Value
	err  error
}

// Scan implements scanner.
func (r rawRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return scanValues(r.vals, dest)
}

// rawRows is the driver's rows, read as sql.Rows is.
type rawRows struct {
	rows driver.Rows
	stmt driver.Stmt // closed with the rows: prepared for this query alone
	vals []driver.Value
	err  error
}

// Next reads the next row; false at the end or on an error (Err).
func (r *rawRows) Next() bool {
	if r.err != nil {
		return false
	}
	if err := r.rows.Next(r.vals); err != nil {
		if err != io.EOF {
			r.err = err
		}
		return false
	}
	return true
}

// Scan assigns the current row to dest.
func (r *rawRows) Scan(dest ...any) error { return scanValues(r.vals, dest) }

// Err is the error that ended Next, if any.
func (r *rawRows) Err() error { return r.err }

// Close closes the rows (resetting a kept statement).
func (r *rawRows) Close() error {
	err := r.rows.Close()
	if r.stmt != nil {
		err = errors.Join(err, r.stmt.Close())
		r.stmt = nil
	}
	return err
}

// scanValues assigns vals to dest as sql.Rows.Scan does for the types the
// store scans into: sql.Scanner, strings, integers, booleans, floats,
// byte slices, and types whose kind is one of those.
func scanValues(vals []driver.Value, dest []any) error {
	if len(dest) != len(vals) {
		return fmt.Errorf("sqlite: %d destinations for %d columns", len(dest), len(vals))
	}
	for i, d := range dest {
		if err := assign(d, vals[i]); err != nil {
			return fmt.Errorf("sqlite: column %d: %w", i, err)
		}
	}
	return nil
}

// assign stores src, a value of the driver (nil, int64, float64, bool,
// []byte, string or time.Time), in dest.
func assign(dest any, src driver.Value) error {
	switch d := dest.(type) {
	case sql.Scanner:
		return d.Scan(src)
	case *any:
		if b, ok := src.([]byte); ok {
			src = bytes.Clone(b)
		}
		*d = src
		return nil
	case *string:
		switch s := src.(type) {
		case string:
			*d = s
			return nil
		case []byte:
			*d = string(s)
			return nil
		}
	case *int64:
		if v, ok := src.(int64); ok {
			*d = v
			return nil
		}
	case *int:
		if v, ok := src.(int64); ok && int64(int(v)) == v {
			*d = int(v)
			return nil
		}
	case *bool:
		if v, ok := src.(int64); ok && (v == 0 || v == 1) {
			*d = v == 1
			return nil
		}
		if v, ok := src.(bool); ok {
			*d = v
			return nil
		}
	case *[]byte:
		switch s := src.(type) {
		case nil:
			*d = nil
			return nil
		case []byte:
			*d = bytes.Clone(s)
			return nil
		case string:
			*d = []byte(s)
			return nil
		}
	}
	return assignKind(dest, src)
}

// assignKind is assign for a pointer to a named type (payments.Status, an
// int type), by its kind.
func assignKind(dest any, src driver.Value) error {
	dv := reflect.ValueOf(dest)
	if dv.Kind() != reflect.Pointer || dv.IsNil() {
		return fmt.Errorf("destination %T is not a pointer", dest)
	}
	e := dv.Elem()
	fail := func() error { return fmt.Errorf("cannot store %T (%v) in %T", src, src, dest) }
	switch e.Kind() {
	case reflect.String:
		switch s := src.(type) {
		case string:
			e.SetString(s)
			return nil
		case []byte:
			e.SetString(string(s))
			return nil
		case int64:
			e.SetString(strconv.FormatInt(s, 10))
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v, ok := src.(int64); ok && !e.OverflowInt(v) {
			e.SetInt(v)
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v, ok := src.(int64); ok && v >= 0 && !e.OverflowUint(uint64(v)) {
			e.SetUint(uint64(v))
			return nil
		}
	case reflect.Bool:
		if v, ok := src.(int64); ok && (v == 0 || v == 1) {
			e.SetBool(v == 1)
			return nil
		}
	case reflect.Float32, reflect.Float64:
		switch v := src.(type) {
		case float64:
			e.SetFloat(v)
			return nil
		case int64:
			e.SetFloat(float64(v))
			return nil
		}
	case reflect.Slice:
		if e.Type().Elem().Kind() == reflect.Uint8 {
			switch s := src.(type) {
			case nil:
				e.SetZero()
				return nil
			case []byte:
				e.SetBytes(bytes.Clone(s))
				return nil
			case string:
				e.SetBytes([]byte(s))
				return nil
			}
		}
	}
	return fail()
}
