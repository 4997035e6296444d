package metrics

import (
	"context"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// Gateway wraps g so that each call to Latipay's API is counted by
// endpoint and outcome and timed, and each started attempt is counted as
// a "started" payment event by method and currency.
func (m *Metrics) Gateway(g payments.Gateway) payments.Gateway {
	return &gateway{Gateway: g, m: m}
}

type gateway struct {
	payments.Gateway
	m *Metrics
}

func (g *gateway) observe(endpoint string, began time.Time, err error) {
	g.m.latipayTime.WithLabelValues(endpoint).Observe(time.Since(began).Seconds())
	g.m.latipay.WithLabelValues(endpoint, outcome(err)).Inc()
}

func (g *gateway) Start(ctx context.Context, req payments.StartRequest) (payments.StartResult, error) {
	began := time.Now()
	r, err := g.Gateway.Start(ctx, req)
	g.observe("start", began, err)
	if err == nil {
		g.m.payments.WithLabelValues("started", method(string(req.Method)), currency(string(req.Currency))).Inc()
	}
	return r, err
}

func (g *gateway) Query(ctx context.Context, reference string) (payments.GatewayResult, error) {
	began := time.Now()
	r, err := g.Gateway.Query(ctx, reference)
	g.observe("query", began, err)
	return r, err
}

func (g *gateway) Cancel(ctx context.Context, reference string) error {
	began := time.Now()
	err := g.Gateway.Cancel(ctx, reference)
	g.observe("cancel", began, err)
	return err
}

func (g *gateway) Refund(ctx context.Context, orderID string, amount int64, c payments.Currency, note string) error {
	began := time.Now()
	err := g.Gateway.Refund(ctx, orderID, amount, c, note)
	g.observe("refund", began, err)
	return err
}

func (g *gateway) Barcode(ctx context.Context, req payments.BarcodeRequest) (string, error) {
	began := time.Now()
	id, err := g.Gateway.Barcode(ctx, req)
	g.observe("barcode", began, err)
	if err == nil {
		g.m.payments.WithLabelValues("started", method(string(req.Method)), currency(string(req.Currency))).Inc()
	}
	return id, err
}
