package payments_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// boundsStore records the periods it is asked for and answers rows.
type boundsStore struct {
	got  []time.Time
	rows []payments.TotalsRow
}

func (b *boundsStore) Totals(_ context.Context, q payments.TotalsQuery) ([]payments.TotalsRow, error) {
	b.got = q.Bounds
	return b.rows, nil
}

func (b *boundsStore) Attention(context.Context, payments.AttentionQuery) ([]payments.AttentionItem, error) {
	return nil, nil
}

func (b *boundsStore) CounterTotals(context.Context, payments.TotalsQuery) ([]payments.CounterTotalsRow, error) {
	return nil, nil
}

func (b *boundsStore) ListRefunds(context.Context, payments.RefundQuery) ([]payments.RefundRow, error) {
	return nil, nil
}

func (b *boundsStore) AttentionCounts(context.Context, payments.AttentionQuery) (map[string]int, error) {
	return nil, nil
}

// TestReportDaysInShopZone: a report's days run midnight to midnight in
// the shop's zone, so the day New Zealand's clocks go back is 25 hours;
// rows come back on their day, oldest first.
func TestReportDaysInShopZone(t *testing.T) {
	nz, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	st := &boundsStore{rows: []payments.TotalsRow{
		{Period: 1, Currency: payments.NZD, Method: payments.MethodWeChat, Source: payments.SourceOnline, Count: 2, Gross: 500, Refunds: 100},
		{Period: 0, Currency: payments.NZD, Method: payments.MethodAlipay, Source: payments.SourceLink, Count: 1, Gross: 300},
	}}
	r, err := payments.NewReports(st, func() time.Time { return time.Date(2026, 4, 6, 1, 0, 0, 0, time.UTC) }, nz)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := r.ParseDay("2026-04-04")
	last, _ := r.ParseDay("2026-04-06")
	rows, err := r.Report(t.Context(), first, last)
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	var hours []float64
	for i := 1; i < len(st.got); i++ {
		hours = append(hours, st.got[i].Sub(st.got[i-1]).Hours())
	}
	if want := []float64{24, 25, 24}; len(hours) != 3 || hours[0] != want[0] || hours[1] != want[1] || hours[2] != want[2] {
		t.Errorf("day lengths = %v hours, want %v (clocks go back on 5 April)", hours, want)
	}
	if got := st.got[0].UTC(); !got.Equal(time.Date(2026, 4, 3, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("first bound = %v, want midnight NZDT (11:00 UTC the day before)", got)
	}
	if len(rows) != 2 || rows[0].Day.Format(time.DateOnly) != "2026-04-04" || rows[1].Day.Format(time.DateOnly) != "2026-04-05" || rows[1].Net() != 400 {
		t.Errorf("rows = %+v, want 4 April's then 5 April's, net 4.00", rows)
	}
	if _, err := r.Report(t.Context(), last, first); !errors.Is(err, payments.ErrInvalid) {
		t.Errorf("Report(last before first) = %v, want ErrInvalid", err)
	}
	if _, err := r.Report(t.Context(), first, first.AddDate(2, 0, 0)); !errors.Is(err, payments.ErrInvalid) {
		t.Errorf("Report(two years) = %v, want ErrInvalid", err)
	}
	if _, err := r.ParseDay("4/4/2026"); !errors.Is(err, payments.ErrInvalid) {
		t.Errorf("ParseDay(4/4/2026) = %v, want ErrInvalid", err)
	}
}

// TestHomeTodayAndWeek: today is the chart's last day in the shop's zone;
// the week sums its last seven days.
func TestHomeTodayAndWeek(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	st := &boundsStore{rows: []payments.TotalsRow{
		{Period: payments.ChartDays - 1, Currency: payments.CNY, Count: 1, Gross: 100},
		{Period: payments.ChartDays - 7, Currency: payments.CNY, Count: 2, Gross: 200, Refunds: 50},
		{Period: payments.ChartDays - 8, Currency: payments.CNY, Count: 4, Gross: 400},
	}}
	// 17:30 UTC is 01:30 the next day in Shanghai.
	r, _ := payments.NewReports(st, func() time.Time { return time.Date(2026, 12, 2, 17, 30, 0, 0, time.UTC) }, sh)
	h, err := r.Home(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Days[len(h.Days)-1].Day.Format(time.DateOnly); got != "2026-12-03" {
		t.Errorf("today = %s, want 2026-12-03 (Shanghai)", got)
	}
	if len(h.Today) != 1 || h.Today[0].Count != 1 || h.Today[0].Gross != 100 {
		t.Errorf("Today = %+v, want 1 payment of 1.00", h.Today)
	}
	if len(h.Week) != 1 || h.Week[0].Count != 3 || h.Week[0].Net() != 250 {
		t.Errorf("Week = %+v, want 3 payments, net 2.50", h.Week)
	}
	if len(h.Days) != payments.ChartDays || h.Days[payments.ChartDays-8].Totals[payments.CNY].Gross != 400 {
		t.Errorf("Days = %d, day -8 = %+v", len(h.Days), h.Days[payments.ChartDays-8].Totals)
	}
}

// dayStore answers one row per period whose start it has figures for,
// and counts the periods it is asked.
type dayStore struct {
	byStart map[int64]payments.TotalsRow
	asked   []int // periods asked, per call
}

func (d *dayStore) Totals(_ context.Context, q payments.TotalsQuery) ([]payments.TotalsRow, error) {
	d.asked = append(d.asked, len(q.Bounds)-1)
	var out []payments.TotalsRow
	for i := 0; i+1 < len(q.Bounds); i++ {
		if row, ok := d.byStart[q.Bounds[i].Unix()]; ok {
			row.Period = i
			out = append(out, row)
		}
	}
	return out, nil
}

func (d *dayStore) Attention(context.Context, payments.AttentionQuery) ([]payments.AttentionItem, error) {
	return nil, nil
}

func (s *dayStore) CounterTotals(context.Context, payments.TotalsQuery) ([]payments.CounterTotalsRow, error) {
	return nil, nil
}

func (s *dayStore) ListRefunds(context.Context, payments.RefundQuery) ([]payments.RefundRow, error) {
	return nil, nil
}

func (d *dayStore) AttentionCounts(context.Context, payments.AttentionQuery) (map[string]int, error) {
	return nil, nil
}

// TestReportsKeepFinishedDays: days that ended are read from the store
// once; later views read only today, and still show the earlier days.
func TestReportsKeepFinishedDays(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	yesterday := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	today := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	st := &dayStore{byStart: map[int64]payments.TotalsRow{
		yesterday.Unix(): {Currency: payments.NZD, Count: 3, Gross: 300},
		today.Unix():     {Currency: payments.NZD, Count: 1, Gross: 100},
	}}
	r, _ := payments.NewReports(st, func() time.Time { return now }, time.UTC)
	for range 2 {
		h, err := r.Home(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Days[payments.ChartDays-2].Totals[payments.NZD].Count; got != 3 {
			t.Errorf("yesterday's count = %d, want 3", got)
		}
		if len(h.Today) != 1 || h.Today[0].Count != 1 {
			t.Errorf("Today = %+v", h.Today)
		}
	}
	if len(st.asked) != 2 || st.asked[0] != payments.ChartDays || st.asked[1] != 1 {
		t.Errorf("periods asked per view = %v, want [%d 1]: the finished days once, then today alone", st.asked, payments.ChartDays)
	}
}
