package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/latipay-hpp/hpp/payments/storage"
)

// Fatal reports the error that stops the process (run's) on w, in the
// log's format: on a terminal one line per problem, each "hpp: " and the
// problem; elsewhere (a container) JSON log lines at level ERROR, one per
// problem, so that each problem of a configuration is a record of its
// own and a log collector reads them like the others. Each problem says
// what it is about itself (config's each start "config: "), as a line
// may be read alone.
func Fatal(w io.Writer, err error) {
	lines := problems(err)
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		for _, line := range lines {
			fmt.Fprintln(w, "hpp:", line)
		}
		return
	}
	log := NewLogger(w, slog.LevelError)
	for _, line := range lines {
		log.Error(line, "exit_status", ExitCode(err))
	}
}

// problems is err's text one line per problem: errors.Join puts each
// problem on a line of its own, and a line that starts with white space
// (a driver's error continued, say each address pgx tried) belongs to the
// one before and is folded onto it (storage.FoldLines).
func problems(err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if len(out) > 0 && strings.TrimLeft(line, " \t") != line {
			out[len(out)-1] += "\n" + line
			continue
		}
		out = append(out, line)
	}
	for i := range out {
		out[i] = storage.FoldLines(out[i])
	}
	return out
}

// NewLogger writes JSON lines (one object each, for a container's log
// collector) unless w is a terminal: there, short readable lines, the
// time of day only.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.String(slog.TimeKey, a.Value.Time().Format(time.TimeOnly))
				}
				return a
			}}))
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// DefaultGCPercent is the garbage collector's target when GOGC is not set:
// the heap may grow to five times what is live between collections
// instead of twice. The live heap is small (some 10 MB under load), and a
// collection takes one of the two cores for its mark phase: e2e/load's
// checkout page offered 25% of the HTTP ceiling had a p99 of 6.2, 7.1,
// 6.8, 6.6, 5.9 and 4.8 ms at 400 against 6.6, 13.0, 8.7, 7.7, 9.1 and
// 4.9 ms at Go's 100 (alternating runs), for 45 MB of RSS under that load
// instead of 33 MB; idle memory is the same (25.6 MB).
const DefaultGCPercent = 400

// ReleaseStartupMemory collects what start-up left behind (the
// migrations' statements, parsed catalogues and templates) and returns the
// freed pages to the operating system. At DefaultGCPercent no collection
// would come for a while yet, and the idle process would keep that garbage
// resident: 35 MB idle against 31.6 MB in e2e/load's startup row. run
// calls it once, in the background, after the server is listening.
func ReleaseStartupMemory() { debug.FreeOSMemory() }

// TuneGC sets DefaultGCPercent unless GOGC is set, which Go has applied.
func TuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
}
