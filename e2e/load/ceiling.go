package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gin-gonic/gin"
	_ "modernc.org/sqlite" // the driver the app uses
)

// helperEnv names the helper role when the harness re-executes itself.
const helperEnv = "HPP_LOAD_HELPER"

// serveHTTPCeiling is the helper process behind the HTTP ceiling: a bare
// gin engine answering "ok", with nothing else in the way.
func serveHTTPCeiling(addr string) error {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/ok", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("ceiling: listening on http://%s\n", ln.Addr())
	return (&http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}).Serve(ln)
}

// httpCeiling drives the bare gin helper process with the same client and
// connection count as the app scenarios.
func httpCeiling(ctx context.Context, h *harness) (sample, map[string]float64, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return sample{}, nil, err
	}
	bin, args := pinned(h.serverCPUs, self, nil)
	p, err := start(h.dir, "ceiling", bin, args, map[string]string{helperEnv: "http-ceiling", "HPP_ADDR": addr}, nil)
	if err != nil {
		return sample{}, nil, err
	}
	defer p.stop()
	base := "http://" + addr
	if err := waitOK(ctx, p, base+"/ok"); err != nil {
		return sample{}, nil, err
	}
	c := newClient(h.conns)
	m := meterCPU(map[string]*proc{"server": p})
	s := drive(ctx, h.conns, h.duration, func(ctx context.Context, _ int) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/ok", nil)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return statusErr("ok", resp.StatusCode, http.StatusOK)
	})
	var r row
	m.perOp(&r, s.N)
	return s, r.Extra, nil
}

// waitOK polls url until it answers 200.
func waitOK(ctx context.Context, p *proc, url string) error {
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited", p.name)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// durabilityCeiling commits one small row per transaction to a fresh
// SQLite file through modernc.org/sqlite, with the app's settings (WAL,
// synchronous=FULL, one write connection, BEGIN IMMEDIATE), from the same
// number of workers as the app scenarios.
func durabilityCeiling(ctx context.Context, h *harness) (sample, error) {
	path := filepath.Join(h.dir, fmt.Sprintf("ceiling-%d.db", time.Now().UnixNano()))
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"+
		"&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return sample{}, err
	}
	defer os.Remove(path)
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE rows (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return sample{}, err
	}
	return drive(ctx, h.conns, h.duration, func(ctx context.Context, i int) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `INSERT INTO rows (v) VALUES (?)`, fmt.Sprintf("row %d", i)); err != nil {
			return err
		}
		return tx.Commit()
	}), nil
}
