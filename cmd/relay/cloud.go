package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/relay-pipeline/relay/internal/localcloud"
)

// runCloud serves the local SQS and SNS until ctx ends (Ctrl-C).
func runCloud(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("cloud", stderr)
	addr := fs.String("addr", localcloud.DefaultAddr, "listen `address`; loopback unless you give another one")
	account := fs.String("account", "000000000000", "account `id` used in ARNs and queue URLs")
	region := fs.String("region", "us-east-1", "`region` used in ARNs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: relay cloud takes no arguments, got %q", errUsage, fs.Args())
	}

	logger := newLogger(stderr, slog.LevelInfo)
	server, err := localcloud.NewServer(localcloud.Config{Addr: *addr, AccountID: *account, Region: *region, Logger: logger})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "local cloud: SQS and SNS on %s (set AWS_ENDPOINT_URL=%s); Ctrl-C stops it\n", server.URL(), server.URL())

	<-ctx.Done()
	return server.Close()
}
