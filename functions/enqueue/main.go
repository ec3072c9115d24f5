// Command enqueue is the Lambda function that validates jobs and queues
// them on the jobs queue, from a direct invoke or a Function URL request.
//
// Environment: JOBS_QUEUE_URL (required), LOG_LEVEL (optional).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/relay-pipeline/relay/internal/awsconfig"
	"github.com/relay-pipeline/relay/internal/funcenv"
	"github.com/relay-pipeline/relay/internal/tasks"
)

func main() {
	logger, err := funcenv.Logger(os.Getenv, os.Stdout)
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("invalid configuration", "err", err)
		os.Exit(1)
	}
	queueURL, err := funcenv.Required(os.Getenv, "JOBS_QUEUE_URL")
	if err != nil {
		logger.Error("invalid configuration", "err", err)
		os.Exit(1)
	}
	cfg, err := awsconfig.Load(os.Getenv)
	if err != nil {
		logger.Error("invalid configuration", "err", err)
		os.Exit(1)
	}

	queue := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = awsconfig.Endpoint(os.Getenv, "SQS") })
	h := NewHandler(queue, queueURL, tasks.Builtin(), logger)
	lambda.Start(h.Invoke)
}
