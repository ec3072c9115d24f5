// Command process is the Lambda function that runs the jobs of SQS batches
// and publishes their results to the results topic.
//
// Environment: JOBS_QUEUE_URL, JOBS_DLQ_URL and RESULTS_TOPIC_ARN
// (required); MAX_PARALLEL_JOBS (default 10), RETRY_BACKOFF_SECONDS
// (default 10) and LOG_LEVEL (optional).
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
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
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("invalid configuration", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler builds the handler from the environment.
func newHandler(ctx context.Context, getenv funcenv.Getenv, logger *slog.Logger) (*Handler, error) {
	queueURL, err1 := funcenv.Required(getenv, "JOBS_QUEUE_URL")
	dlqURL, err2 := funcenv.Required(getenv, "JOBS_DLQ_URL")
	topicARN, err3 := funcenv.Required(getenv, "RESULTS_TOPIC_ARN")
	parallel, err4 := funcenv.Int(getenv, "MAX_PARALLEL_JOBS", DefaultMaxParallelJobs, 1, 1000)
	backoff, err5 := funcenv.Int(getenv, "RETRY_BACKOFF_SECONDS", int(DefaultRetryBackoff.Seconds()), 0, 43200)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return nil, err
	}
	cfg, err := awsconfig.Load(getenv)
	if err != nil {
		return nil, err
	}

	queue := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = awsconfig.Endpoint(getenv, "SQS") })
	return &Handler{
		DeadLetters:     queue,
		DLQURL:          dlqURL,
		Visibility:      queue,
		QueueURL:        queueURL,
		Topic:           sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = awsconfig.Endpoint(getenv, "SNS") }),
		TopicARN:        topicARN,
		Tasks:           tasks.Builtin(),
		Logger:          logger,
		MaxParallelJobs: parallel,
		RetryBackoff:    time.Duration(backoff) * time.Second,
		MaxRetryBackoff: DefaultMaxRetryBackoff,
		Now:             time.Now,
	}, nil
}
