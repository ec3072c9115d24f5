package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/sqsbatch"
	"github.com/relay-pipeline/relay/internal/tasks"
)

// deadLetterSender sends permanent failures to the DLQ.
type deadLetterSender interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// visibilityChanger sets the retry backoff of transient failures.
type visibilityChanger interface {
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// resultPublisher publishes results to the results topic.
type resultPublisher interface {
	PublishBatch(ctx context.Context, in *sns.PublishBatchInput, optFns ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

// The reasons of permanent failures, sent as the DLQ message attribute
// "reason".
const (
	ReasonMalformedJob = "malformed-job"
	ReasonUnknownTask  = "unknown-task"
	ReasonInvalidInput = "invalid-input"
)

// Defaults of the tunables.
const (
	// DefaultMaxParallelJobs bounds the jobs of one batch run at once.
	DefaultMaxParallelJobs = 10
	// DefaultRetryBackoff is the visibility timeout after a first failed
	// attempt.
	DefaultRetryBackoff = 10 * time.Second
	// DefaultMaxRetryBackoff caps the visibility backoff. 15 minutes keeps
	// five retries of a job within about half an hour.
	DefaultMaxRetryBackoff = 15 * time.Minute
)

// Handler runs the jobs of an SQS batch, publishes their results and sorts
// failures into permanent (sent to the DLQ) and transient (retried).
type Handler struct {
	DeadLetters deadLetterSender
	DLQURL      string
	Visibility  visibilityChanger
	QueueURL    string
	Topic       resultPublisher
	TopicARN    string
	Tasks       *tasks.Registry
	Logger      *slog.Logger

	MaxParallelJobs int
	// RetryBackoff is the base of the visibility backoff of a transient
	// failure: RetryBackoff * 2^(receiveCount-1), capped at MaxRetryBackoff.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration

	// Now defaults to time.Now.
	Now func() time.Time
}

// outcomeKind sorts what happened to one record.
type outcomeKind int

const (
	// outcomeResult: the task completed with a result to publish.
	outcomeResult outcomeKind = iota
	// outcomePermanent: the job can never succeed; it goes to the DLQ.
	outcomePermanent
	// outcomeTransient: the record is retried after a backoff.
	outcomeTransient
)

// outcome is the disposition of one processed record.
type outcome struct {
	kind   outcomeKind
	job    job.Job
	result job.Result
	reason string
	err    error
}

// Handle processes one SQS batch. It returns a batch item failure for each
// record with a transient failure, and for each record whose result or DLQ
// message could not be sent. It never returns an error, because an error
// would fail every record of the batch.
func (h *Handler) Handle(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error) {
	records := event.Records
	jobCtx, cancel := withJobDeadline(ctx)
	defer cancel()

	outcomes, panics := sqsbatch.Run(jobCtx, records, h.MaxParallelJobs, h.processRecord)
	for i, err := range panics {
		if err != nil {
			outcomes[i] = outcome{kind: outcomeTransient, err: err}
		}
	}

	var publish, deadLetter, transient []int
	for i, o := range outcomes {
		switch o.kind {
		case outcomeResult:
			publish = append(publish, i)
		case outcomePermanent:
			deadLetter = append(deadLetter, i)
		default:
			transient = append(transient, i)
		}
	}
	for _, i := range transient {
		h.Logger.WarnContext(ctx, "job will be retried", "message_id", records[i].MessageId, "job_id", outcomes[i].job.ID,
			"task", outcomes[i].job.Task, "receive_count", sqsbatch.ReceiveCount(records[i]), "err", outcomes[i].err)
	}

	failedPublish := h.publishResults(ctx, records, outcomes, publish)
	failedDeadLetter := h.sendToDLQ(ctx, records, outcomes, deadLetter)
	retry := append(append(transient, failedPublish...), failedDeadLetter...)
	h.setBackoff(ctx, records, retry)

	ids := make([]string, 0, len(retry))
	for _, i := range retry {
		if records[i].MessageId == "" {
			// Lambda fails the whole batch for an empty itemIdentifier, so
			// this record cannot be retried on its own.
			h.Logger.ErrorContext(ctx, "record without messageId cannot be reported as a batch item failure", "index", i)
			continue
		}
		ids = append(ids, records[i].MessageId)
	}
	h.Logger.InfoContext(ctx, "batch processed", "records", len(records), "published", len(publish)-len(failedPublish),
		"dead_lettered", len(deadLetter)-len(failedDeadLetter), "retried", len(retry))
	return sqsbatch.Response(ids), nil
}

// processRecord parses and runs the job of one record.
func (h *Handler) processRecord(ctx context.Context, record events.SQSMessage) (outcome, error) {
	j, err := job.Parse(record.Body)
	if err != nil {
		return outcome{kind: outcomePermanent, reason: ReasonMalformedJob, err: err}, nil
	}
	run, ok := h.Tasks.Lookup(j.Task)
	if !ok {
		return outcome{kind: outcomePermanent, job: j, reason: ReasonUnknownTask, err: fmt.Errorf("unknown task %q", j.Task)}, nil
	}

	attempt := sqsbatch.ReceiveCount(record)
	output, err := runTask(ctx, run, tasks.Request{Input: j.Input, Attempt: attempt})

	result := job.Result{
		JobID:         j.ID,
		Task:          j.Task,
		Attempt:       attempt,
		MessageID:     record.MessageId,
		CorrelationID: j.CorrelationID,
		EnqueuedAt:    enqueuedAt(j, record),
		FinishedAt:    h.now().UTC(),
	}
	switch {
	case err == nil:
		result.Status = job.StatusSucceeded
		result.Output = output
		return outcome{kind: outcomeResult, job: j, result: result}, nil
	case errors.Is(err, tasks.ErrFailed):
		result.Status = job.StatusFailed
		result.Error = err.Error()
		return outcome{kind: outcomeResult, job: j, result: result}, nil
	case errors.Is(err, tasks.ErrInvalidInput):
		return outcome{kind: outcomePermanent, job: j, reason: ReasonInvalidInput, err: err}, nil
	}
	return outcome{kind: outcomeTransient, job: j, err: err}, nil
}

// runTask runs a task and returns when it returns or when ctx ends,
// whichever comes first, so that a task that ignores its deadline cannot
// hold up publishing. A panic in the task becomes its error.
func runTask(ctx context.Context, run tasks.Func, req tasks.Request) (string, error) {
	type reply struct {
		output string
		err    error
	}
	done := make(chan reply, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- reply{err: &sqsbatch.PanicError{Value: v}}
			}
		}()
		output, err := run(ctx, req)
		done <- reply{output, err}
	}()

	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil && !errors.Is(r.err, tasks.ErrFailed) && !errors.Is(r.err, tasks.ErrInvalidInput) {
			return "", fmt.Errorf("job deadline exceeded: %w", r.err)
		}
		return r.output, r.err
	case <-ctx.Done():
		// NOTE: the task's goroutine keeps running until the task returns.
		return "", fmt.Errorf("job deadline exceeded: %w", context.Cause(ctx))
	}
}

// enqueuedAt returns the job's enqueue time, or the message's SentTimestamp
// for a job in the text form, which carries none.
func enqueuedAt(j job.Job, record events.SQSMessage) time.Time {
	if !j.EnqueuedAt.IsZero() {
		return j.EnqueuedAt.UTC()
	}
	ms, err := strconv.ParseInt(record.Attributes["SentTimestamp"], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Job deadline margins: a job's deadline is the invocation's deadline minus
// 10% of the time left, at least MinJobMargin and at most MaxJobMargin, so
// that results can still be published and failures sent after it.
const (
	MinJobMargin = time.Second
	MaxJobMargin = 30 * time.Second
)

// withJobDeadline returns a context whose deadline leaves the margin before
// ctx's deadline. Without a deadline on ctx, jobs get none.
func withJobDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := min(max(time.Until(deadline)/10, MinJobMargin), MaxJobMargin)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}
