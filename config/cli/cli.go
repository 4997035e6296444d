// Package cli is hpp's command line: the table of subcommands (Commands),
// how a command line is read (Dispatch), the usage and each command's
// help, hpp version, the exit statuses (ExitCode), and the process's log
// format (NewLogger; NewLogs adds the access log, written in batches) and
// garbage-collector target (TuneGC).
//
// The subcommands other than serve are small and live here (commands.go);
// each calls the package that owns its work: config (check-config, the
// settings), payments/storage (backup, restore, and the store for admin
// reset-password and end-sessions), payments/accounts (reset-password,
// end-sessions), payments/counter (end-sessions),
// handlers/selfcheck (selfcheck, healthcheck) and latipaysim (simulator).
// The server itself is wired by run in main.go: Dispatch only reports
// that the command line asks for it.
//
// To add a subcommand: one row in Commands, its function in commands.go,
// a test beside TestCommandHelp (main_test.go runs the binary). A command
// line that is not understood is a UsageError: main prints the usage and
// exits with status 2, and nothing starts.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Env is what a subcommand gets from the process.
type Env struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
}

// Command is one subcommand. Run gets the arguments left after its flags;
// a nil Run is the server, which run (main.go) wires.
type Command struct {
	Name, Args, Summary string
	MinArgs, MaxArgs    int
	Run                 func(ctx context.Context, e Env, args []string) error
}

// Commands is every subcommand, in the order help lists them.
func Commands() []Command {
	var cmds []Command
	cmds = []Command{
		{Name: "serve", Summary: "serve the payment pages and API (the default; configured by the environment, see README.md)"},
		{Name: "healthcheck", Summary: "ask this server's own /healthz at HPP_ADDR, failing on an expired certificate served (the container's HEALTHCHECK)", Run: healthcheck},
		{Name: "selfcheck", Args: "URL [baseline.json]", MinArgs: 1, MaxArgs: 2,
			Summary: "print the checkout page's scripts and headers as a baseline, or compare with a saved one (PCI DSS 11.6.1)", Run: selfcheckCommand},
		{Name: "simulator", Summary: "run the Latipay simulator on its own, for load tests: the merchant it accepts is LATIPAY_USER_ID with LATIPAY_API_KEY (both required) and LATIPAY_WALLET_*; it listens on HPP_SIM_ADDR (default 127.0.0.1:0)", Run: simulator},
		{Name: "admin", Args: "reset-password EMAIL | end-sessions", MinArgs: 1, MaxArgs: 2,
			Summary: "reset-password: give a back-office account a new random password, unlock it, turn two-step sign-in off and end its sessions; end-sessions: end every back-office session and every sign-in waiting for its two-step code, lock every counter device (cashiers enter their PIN again) and void every trusted device (the browsers' sign-in device cookies); paired counter devices and displays stay paired and invitation links stay valid (revoke or remove them in the back office). Run it after a restore or a suspected break-in. On SQLite, stop the server first", Run: admin},
		{Name: "check-config", Summary: "print the effective configuration, secrets masked, and every problem; exit 1 if the app would refuse to start", Run: checkConfig},
		{Name: "backup", Args: "FILE", MinArgs: 1, MaxArgs: 1,
			Summary: "copy the SQLite database (HPP_DATABASE) to FILE, consistently, while the server runs", Run: backup},
		{Name: "restore", Args: "FILE", MinArgs: 1, MaxArgs: 1,
			Summary: "put a backup back in place of the SQLite database (HPP_DATABASE), with the server stopped", Run: restore},
		{Name: "version", Summary: "print the module version and the VCS revision it was built from",
			Run: func(_ context.Context, e Env, _ []string) error { return Version(e.Stdout) }},
		{Name: "help", Args: "[command]", MaxArgs: 1, Summary: "print this help, or one command's",
			Run: func(_ context.Context, e Env, args []string) error { return help(cmds, e, args) }},
	}
	return cmds
}

// UsageError is a command line that was not understood: main exits with
// status 2 after the usage, and nothing is started.
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

// ExitCode is the process's exit status for run's error: 2 for a command
// line not understood, 1 for anything else.
func ExitCode(err error) int {
	if errors.As(err, new(UsageError)) {
		return 2
	}
	return 1
}

// Dispatch runs the subcommand args names (args[0] is the program), and
// reports serve=true when it is the server (no subcommand, or "serve"),
// which the caller wires. A name or flag it does not know prints the
// usage and is a UsageError.
func Dispatch(ctx context.Context, args []string, e Env) (serve bool, err error) {
	cmds := Commands()
	name, rest := "serve", []string(nil)
	if len(args) > 1 {
		name, rest = args[1], args[2:]
	}
	switch name {
	case "-h", "-help", "--help":
		return false, help(cmds, e, nil)
	}
	cmd, ok := lookup(cmds, name)
	if !ok {
		usage(cmds, e.Stderr)
		if strings.HasPrefix(name, "-") {
			return false, UsageError{fmt.Sprintf("flag provided but not defined: %s", name)}
		}
		return false, UsageError{fmt.Sprintf("unknown command %q", name)}
	}
	fs := flag.NewFlagSet("hpp "+cmd.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, commandHelp(e.Stdout, cmd)
		}
		commandHelp(e.Stderr, cmd)
		return false, UsageError{err.Error()}
	}
	if n := fs.NArg(); n < cmd.MinArgs || n > cmd.MaxArgs {
		commandHelp(e.Stderr, cmd)
		return false, UsageError{fmt.Sprintf("%s: wrong number of arguments", cmd.Name)}
	}
	if cmd.Run == nil {
		return true, nil
	}
	return false, cmd.Run(ctx, e, fs.Args())
}

func lookup(cmds []Command, name string) (Command, bool) {
	for _, c := range cmds {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// usage lists the commands.
func usage(cmds []Command, w io.Writer) {
	fmt.Fprintln(w, "Usage: hpp [command] [arguments]\n\nThe Latipay hosted payment page. Without a command, hpp serves (see README.md for the settings).\n\nCommands:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-12s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(w, "\nRun \"hpp help COMMAND\" or \"hpp COMMAND --help\" for one command.")
}

// help prints the usage, or with a command name that command's help.
func help(cmds []Command, e Env, args []string) error {
	if len(args) == 0 {
		usage(cmds, e.Stdout)
		return nil
	}
	cmd, ok := lookup(cmds, args[0])
	if !ok {
		usage(cmds, e.Stderr)
		return UsageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	return commandHelp(e.Stdout, cmd)
}

func commandHelp(w io.Writer, c Command) error {
	fmt.Fprintf(w, "Usage: hpp %s %s\n\n%s\n", c.Name, c.Args, c.Summary)
	return nil
}
