package config

import (
	"strings"
	"testing"
)

// TestReconcileRate: HPP_RECONCILE_RATE defaults to 20 queries a second
// and takes a whole number from 1 to 1000; anything else names the
// setting in a clear start-up error.
func TestReconcileRate(t *testing.T) {
	for _, tc := range []struct {
		value   string
		want    int
		wantErr bool
	}{
		{"", 20, false}, {"1", 1, false}, {"250", 250, false}, {"1000", 1000, false},
		{"0", 0, true}, {"1001", 0, true}, {"-5", 0, true}, {"fast", 0, true}, {"2.5", 0, true},
	} {
		env := map[string]string{"HPP_RECONCILE_RATE": tc.value}
		c, err := Load(func(k string) string { return env[k] })
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), "HPP_RECONCILE_RATE") {
				t.Errorf("%q: err = %v, want an error naming HPP_RECONCILE_RATE", tc.value, err)
			}
			continue
		}
		if err != nil || c.ReconcileRate != tc.want {
			t.Errorf("%q: ReconcileRate = %d, %v; want %d", tc.value, c.ReconcileRate, err, tc.want)
		}
	}
}
