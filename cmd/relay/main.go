// Command relay is the developer CLI of the relay job pipeline: it serves the local cloud,
// runs the whole pipeline on it, invokes one function once, and manages dead-letter queues.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `relay: run and operate the relay job pipeline.

Usage:
  relay cloud  [--addr 127.0.0.1:4566]          serve the local SQS and SNS until interrupted
  relay local  [--jobs FILE] [--until-drained]   run the whole pipeline on the local cloud
  relay invoke FUNCTION --event FILE             invoke a built bootstrap once, like sam local invoke
  relay dlq    list|redrive|purge [flags]        inspect and redrive the jobs dead-letter queue

Run "relay COMMAND -h" for a command's flags.
`

// errUsage marks an error in the command line; main prints the usage with it and exits 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "relay: %v\n\n%s", err, usage)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "relay: %v\n", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand. It is main without the process exit, for tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: a command is required", errUsage)
	}
	command, rest := args[0], args[1:]
	switch command {
	case "cloud":
		return runCloud(ctx, rest, stdout, stderr)
	case "local":
		return runLocal(ctx, rest, stdout, stderr)
	case "invoke":
		return runInvoke(ctx, rest, stdout, stderr)
	case "dlq":
		return runDLQ(ctx, rest, stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("%w: unknown command %q", errUsage, command)
	}
}

// newLogger returns the CLI's own JSON logger on w.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("relay "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and marks a bad flag as a usage error, so that main exits 2 after
// the flag package has printed the command's flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %v", errUsage, err)
}
