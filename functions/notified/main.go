// Command notified is the Lambda function subscribed to the results topic.
// It logs one "job finished" line per result.
//
// Environment: LOG_LEVEL (optional).
package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/relay-pipeline/relay/internal/funcenv"
)

func main() {
	logger, err := funcenv.Logger(os.Getenv, os.Stdout)
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("invalid configuration", "err", err)
		os.Exit(1)
	}
	h := &Handler{Logger: logger, Now: time.Now}
	lambda.Start(h.Handle)
}
