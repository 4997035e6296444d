package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache keeps prepared statements of one pool by query text.
// modernc.org/sqlite compiles a query anew on every call made with its
// text; profiles of the checkout page showed that compiling (and
// finalizing) the payment and attempt reads took a third of the page's
// CPU. Only constant query texts go through it, so it stays small.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt // guarded by mu
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}}
}

// get returns the statement for query, preparing it on first use.
// database/sql prepares it again on each pool connection as needed.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil {
		return st, nil
	}
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

// lookup returns the statement for query if it is prepared already. It
// never prepares: a transaction holds the write pool's only connection,
// so preparing on the pool from inside one would wait forever.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// prepare prepares each query now, outside any transaction.
func (c *stmtCache) prepare(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, err := c.get(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// close closes every statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// cached is a querier over a pool, a transaction of that pool, or the
// write connection's driver connection, whose queries run as cached
// prepared statements. On a pool a statement is prepared on first use; in
// a transaction only statements prepared beforehand (stmtCache.prepare)
// are used. Anything else, or a statement that cannot be prepared, runs
// unprepared, so errors surface as usual. With raw set (the writer
// goroutine's batch, raw.go) the statements run on the driver connection.
type cached struct {
	c   *stmtCache
	tx  *sql.Tx       // nil: run on the pool
	raw *rawConn      // not nil: run on the driver connection (tx is nil)
	rec *[]execRecord // not nil: ExecContext appends what it runs (batch.go)
}

var _ querier = cached{}

func (q cached) stmt(ctx context.Context, query string) *sql.Stmt {
	if q.tx != nil {
		st := q.c.lookup(query)
		if st == nil {
			return nil
		}
		return q.tx.StmtContext(ctx, st) // reuses the connection's prepared statement
	}
	st, err := q.c.get(ctx, query)
	if err != nil {
		return nil
	}
	return st
}

// errRawQuery is QueryContext's answer on the driver connection, whose
// rows are read through rows (queryAll does).
var errRawQuery = errors.New("sqlite: rows of the write connection are read through cached.rows")

// QueryContext runs query as a prepared statement.
func (q cached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if q.raw != nil {
		return nil, errRawQuery
	}
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	if q.tx != nil {
		return q.tx.QueryContext(ctx, query, args...)
	}
	return q.c.pool.QueryContext(ctx, query, args...)
}

// rows is QueryContext for queryAll, on the driver connection too.
func (q cached) rows(ctx context.Context, query string, args ...any) (rowSet, error) {
	if q.raw != nil {
		rs, err := q.raw.query(query, args)
		if err != nil {
			return nil, err
		}
		return rs, nil
	}
	rs, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rs, nil
}

// QueryRowContext runs query as a prepared statement.
func (q cached) QueryRowContext(ctx context.Context, query string, args ...any) scanner {
	if q.raw != nil {
		return q.raw.queryRow(query, args)
	}
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	if q.tx != nil {
		return q.tx.QueryRowContext(ctx, query, args...)
	}
	return q.c.pool.QueryRowContext(ctx, query, args...)
}

// ExecContext runs query as a prepared statement.
func (q cached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if q.rec != nil { // recorded before it runs: a failed statement counts as a change
		*q.rec = append(*q.rec, execRecord{query: query, args: args})
	}
	if q.raw != nil {
		return q.raw.exec(query, args)
	}
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	if q.tx != nil {
		return q.tx.ExecContext(ctx, query, args...)
	}
	return q.c.pool.ExecContext(ctx, query, args...)
}
