package payments

import (
	"context"
	"errors"
	"unicode/utf8"
)

// MaxReviewNoteLen is the most characters (runes) a review's note may
// have: a short sentence of what was checked or done.
const MaxReviewNoteLen = 200

// ErrNotFlagged is a review of a payment that needs none: it was neither
// paid late nor flagged for review, or it is reviewed already.
var ErrNotFlagged = errors.New("payments: the payment has nothing to review")

// Flagged reports whether p is on what needs attention for a flag: paid
// late or under review, and not marked reviewed since.
func (p Payment) Flagged() bool { return (p.PaidLate || p.NeedsReview) && p.ReviewedAt.IsZero() }

// MarkReviewed records that by (a person, named as the pages show them)
// looked at payment id, flagged paid late or needing review, with note
// saying what they found or did (required, at most MaxReviewNoteLen
// characters). It takes the payment off what needs attention
// (AttentionQuery) and appends a "payment.reviewed" event (MsgReviewed);
// the status, the money and the flags stay as they are, so the payment
// still says what happened to it. A later anomaly or late payment clears
// the mark. A payment with nothing to review is ErrNotFlagged.
func (s *Service) MarkReviewed(ctx context.Context, id, by, note string) (Payment, error) {
	note = cleanText(note)
	switch {
	case note == "":
		return Payment{}, &ValidationError{Problems: []string{"a note is required"}}
	case utf8.RuneCountInString(note) > MaxReviewNoteLen:
		return Payment{}, &ValidationError{Problems: []string{tooLong("note", MaxReviewNoteLen)}}
	}
	return s.update(ctx, id, func(tx *Tx) error {
		if !tx.Payment.Flagged() {
			return ErrNotFlagged
		}
		now := s.now().UTC()
		tx.Payment.ReviewedAt = now
		tx.touch()
		tx.event(Message{Code: MsgReviewed, By: by, Note: note}.Event("payment.reviewed", tx.Payment.Status, now))
		return nil
	})
}
