package payments

import "time"

// TimeLayout is how the merchant API and webhooks write an instant: UTC,
// RFC 3339, with exactly six fractional digits (microseconds), as in
// "2026-12-07T18:40:52.557809Z". Every value has the same length and one
// pattern reads them all (Python's strptime "%Y-%m-%dT%H:%M:%S.%fZ"); a
// store that keeps whole seconds gives ".000000".
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime writes t as TimeLayout says, in UTC; digits beyond the
// microsecond are dropped, never rounded up into the next second.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }
