package sqlite

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// TestCheckpointerCopiesTheWALBack: with the writer's own checkpoint out
// of the way (TestPragmas: it is only the backstop), the checkpointer
// goroutine must notice that the WAL passed its mark and copy the frames
// back into the database file, on its own connection, and the writer must
// then start the WAL over instead of letting it grow by a mark a round.
// Without the checkpointer the WAL would only be checkpointed at the
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
	// 60 creations write some 1,400 frames: with the WAL started over
	// after each checkpoint, the last of them sits near the front.
	if mx := walFrames(t, path); mx > 4*mark {
		t.Errorf("the WAL holds %d frames after checkpoints every %d: it was never started over", mx, mark)
	}
	// Everything committed is still there, read through the store.
	for i := range 60 {
		if _, err := db.Payment(t.Context(), benchPayment(i+1).ID); err != nil {
			t.Errorf("payment %d after the checkpoint: %v", i+1, err)
		}
	}
}

// walFrames reads mxFrame, the frames in the WAL, from the wal-index
// header at the start of the -shm file (native byte order).
func walFrames(t *testing.T, path string) uint32 {
	b, err := os.ReadFile(path + "-shm")
	if err != nil || len(b) < 20 {
		t.Fatalf("read the wal-index: %v (%d bytes)", err, len(b))
	}
	return binary.NativeEndian.Uint32(b[16:])
}
