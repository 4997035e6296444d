package sqlite

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// TestCheckpointerCopiesTheWALBack: with the writer's own checkpoint out
// of the way (TestPragmas: it is only the backstop), the checkpointer
// goroutine must notice that the WAL passed its mark and copy the frames
// back into the database file, on its own connection, leaving fewer than
// the mark behind. Without it the WAL would only be checkpointed at the
// backstop, inside a commit, which is what made checkout starts wait.
func TestCheckpointerCopiesTheWALBack(t *testing.T) {
	path := t.TempDir() + "/hpp.db"
	db := mustOpen(t, path)
	const mark = 40
	db.ckpt.mark.Store(mark) // before the writes: the commits' nudges order it
	fileSize := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := fileSize()
	for i := range 60 {
		p := benchPayment(i + 1)
		ev := payments.Event{Type: "payment.created", To: payments.StatusCreated, CreatedAt: p.CreatedAt}
		if _, _, err := db.CreatePayment(t.Context(), p, ev, payments.Idempotency{Key: fmt.Sprintf("api:%d", i), Hash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	// The checkpointer runs on its own goroutine: wait for it (bounded),
	// nudging it as a commit would.
	for deadline := time.Now().Add(20 * time.Second); db.ckpt.rounds.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if db.ckpt.rounds.Load() == 0 {
		t.Fatalf("no checkpoint ran after 60 commits past a mark of %d frames (pending %d)", mark, db.ckpt.pending())
	}
	if after := fileSize(); after <= before {
		t.Errorf("database file %d bytes before the writes and %d after a checkpoint: nothing was copied back", before, after)
	}
	// Everything committed is still there, read through the store.
	for i := range 60 {
		if _, err := db.Payment(t.Context(), benchPayment(i+1).ID); err != nil {
			t.Errorf("payment %d after the checkpoint: %v", i+1, err)
		}
	}
}
