package postgres

import (
	"fmt"
	"sync"
	"testing"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// TestSandboxSettingTogether: two instances starting the sandbox together
// on a fresh database each store the values they generated; both get the
// first one stored, and neither fails (the one whose insert waited on the
// other's found no row: one statement sees only its own snapshot).
func TestSandboxSettingTogether(t *testing.T) {
	url := pgtest.Schema(t)
	dbs := []*DB{mustOpen(t, url), mustOpen(t, url)}
	for n := range 20 {
		name := fmt.Sprintf("HPP_SETTING_%d", n)
		got, errs := make([]string, 2), make([]error, 2)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i, db := range dbs {
			wg.Go(func() {
				start.Wait()
				got[i], errs[i] = db.SandboxSetting(t.Context(), name, fmt.Sprintf("value of instance %d", i))
			})
		}
		start.Done()
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || got[0] != got[1] || got[0] == "" {
			t.Fatalf("%s set together: %q, %v and %q, %v; want the same stored value", name, got[0], errs[0], got[1], errs[1])
		}
	}
}
