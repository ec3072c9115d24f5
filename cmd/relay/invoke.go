package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/relay-pipeline/relay/internal/localpipeline"
	"github.com/relay-pipeline/relay/internal/settings"
)

// runInvoke invokes one built bootstrap once with an event file, the Docker-free
// equivalent of `sam local invoke`. The function runs with the environment the stack gives
// it, against a local cloud with the stack's queues and topic, so its calls succeed.
func runInvoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stderr, "Usage: relay invoke FUNCTION --event FILE [--build-dir DIR]\n\nFUNCTION is enqueue, process or notified.\n")
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return fmt.Errorf("%w: relay invoke needs a FUNCTION first: enqueue, process or notified", errUsage)
	}
	function := args[0]
	fs := newFlagSet("invoke "+function, stderr)
	eventPath := fs.String("event", "", "event `file` to invoke the function with (required), such as events/sqs-batch.json")
	buildDir := fs.String("build-dir", settings.LocalAssetRoot, "`folder` with <function>/bootstrap built for this machine (make build-local)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *eventPath == "" {
		return fmt.Errorf("%w: --event FILE is required", errUsage)
	}
	if _, ok := settings.Default().Topology().Function(function); !ok {
		return fmt.Errorf("%w: unknown function %q: use enqueue, process or notified", errUsage, function)
	}
	event, err := os.ReadFile(*eventPath)
	if err != nil {
		return fmt.Errorf("read event: %w", err)
	}
	if !json.Valid(event) {
		return fmt.Errorf("event file %s is not valid JSON", *eventPath)
	}

	var logs lockedBuffer
	pipeline, err := localpipeline.Start(ctx, localpipeline.Options{
		Settings:              settings.Default(),
		BootstrapDir:          *buildDir,
		FunctionLogs:          &logs,
		NoEventSourceMappings: true,
		Logger:                newLogger(stderr, slog.LevelWarn),
	})
	if err != nil {
		return err
	}
	response, invokeErr := pipeline.Runtime.Invoke(ctx, function, event)
	closeErr := pipeline.Close()

	fmt.Fprintf(stdout, "--- logs\n%s", logs.String())
	if invokeErr != nil {
		return fmt.Errorf("invoke %s: %w", function, invokeErr)
	}
	fmt.Fprintf(stdout, "--- response (request id %s, %s)\n", response.RequestID, response.Duration)
	var pretty bytes.Buffer
	if json.Indent(&pretty, response.Payload, "", "  ") == nil {
		fmt.Fprintln(stdout, pretty.String())
	} else {
		fmt.Fprintf(stdout, "%s\n", response.Payload)
	}
	if response.FunctionError != "" {
		return fmt.Errorf("function %s returned an error (%s)", function, response.FunctionError)
	}
	return closeErr
}

// lockedBuffer is a bytes.Buffer safe for the runtime's concurrent log writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
