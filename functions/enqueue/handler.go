package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/tasks"
)

// queueSender is the part of the SQS client that enqueue uses.
type queueSender interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Handler queues jobs on the jobs queue. It serves a direct invoke and a
// Function URL request (payload format 2.0) with the same Invoke method.
type Handler struct {
	Queue    queueSender
	QueueURL string
	Tasks    *tasks.Registry
	Logger   *slog.Logger

	// MaxAttempts bounds the SendMessageBatch attempts of each entry.
	MaxAttempts int
	// RetryDelay is the wait before the second attempt; it doubles after
	// each further attempt.
	RetryDelay time.Duration
	// Concurrency bounds the SendMessageBatch calls in flight.
	Concurrency int

	// Now and NewID default to time.Now and job.NewID.
	Now   func() time.Time
	NewID func() string
}

// NewHandler returns a handler with the default retry settings: 3 attempts
// per entry, 100 ms before the second, 8 calls in flight.
func NewHandler(queue queueSender, queueURL string, registry *tasks.Registry, logger *slog.Logger) *Handler {
	return &Handler{
		Queue:       queue,
		QueueURL:    queueURL,
		Tasks:       registry,
		Logger:      logger,
		MaxAttempts: 3,
		RetryDelay:  100 * time.Millisecond,
		Concurrency: 8,
		Now:         time.Now,
		NewID:       job.NewID,
	}
}

// Invoke handles one Lambda invocation. A payload with "requestContext" and
// "rawPath" is a Function URL request and gets a
// events.LambdaFunctionURLResponse. Any other payload is a direct invoke
// (one job, an array of jobs or {"jobs":[…]}) and gets a
// job.EnqueueResponse, or an error when any job is invalid; nothing is
// queued then. A direct invoke whose jobs could not all be queued returns
// the response with failed > 0 and no error, so that the caller sees which
// jobs to send again.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	if isFunctionURLRequest(payload) {
		var req events.LambdaFunctionURLRequest
		if err := json.Unmarshal(payload, &req); err != nil {
			return nil, fmt.Errorf("decode Function URL request: %w", err)
		}
		return h.ServeFunctionURL(ctx, req), nil
	}

	resp, err := h.EnqueueJSON(ctx, payload, "")
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func isFunctionURLRequest(payload []byte) bool {
	var probe struct {
		RequestContext json.RawMessage `json:"requestContext"`
		RawPath        *string         `json:"rawPath"`
	}
	if json.Unmarshal(payload, &probe) != nil {
		return false
	}
	return len(probe.RequestContext) > 0 && probe.RawPath != nil
}

// BadRequestError is a request that enqueue rejected before queueing any
// job.
type BadRequestError struct{ Err error }

// Error returns the reason.
func (e *BadRequestError) Error() string { return e.Err.Error() }

// Unwrap returns the reason.
func (e *BadRequestError) Unwrap() error { return e.Err }

// EnqueueJSON validates and queues the jobs of a JSON request body. The
// correlation ID, when not empty, applies to every job.
func (h *Handler) EnqueueJSON(ctx context.Context, body []byte, correlationID string) (job.EnqueueResponse, error) {
	jobs, err := job.DecodeJSONRequest(body, h.NewID)
	if err != nil {
		return job.EnqueueResponse{}, &BadRequestError{Err: err}
	}
	return h.enqueue(ctx, jobs, correlationID)
}

// EnqueueText validates and queues the jobs of a text request body, one
// `ID TASK INPUT` per line.
func (h *Handler) EnqueueText(ctx context.Context, body []byte, correlationID string) (job.EnqueueResponse, error) {
	jobs, err := job.DecodeTextRequest(body)
	if err != nil {
		return job.EnqueueResponse{}, &BadRequestError{Err: err}
	}
	return h.enqueue(ctx, jobs, correlationID)
}

// enqueue completes and checks the decoded jobs, then sends them all. The
// correlation ID comes from the request header, else the job, else one is
// generated for the whole request.
func (h *Handler) enqueue(ctx context.Context, jobs []job.Job, headerCorrelationID string) (job.EnqueueResponse, error) {
	now := h.Now().UTC()
	generated := ""
	messages := make([]message, len(jobs))
	for i := range jobs {
		j := &jobs[i]
		switch {
		case headerCorrelationID != "":
			j.CorrelationID = headerCorrelationID
		case j.CorrelationID == "":
			if generated == "" {
				generated = h.NewID()
			}
			j.CorrelationID = generated
		}
		j.EnqueuedAt = now

		if !h.Tasks.Has(j.Task) {
			err := fmt.Errorf("unknown task %q; known tasks: %s", j.Task, strings.Join(h.Tasks.Names(), ", "))
			return job.EnqueueResponse{}, &BadRequestError{Err: &job.JobError{Index: i, ID: j.ID, Err: err}}
		}
		body, attrs, err := job.Message(*j)
		if err != nil {
			return job.EnqueueResponse{}, &BadRequestError{Err: &job.JobError{Index: i, ID: j.ID, Err: err}}
		}
		messages[i] = message{jobID: j.ID, body: body, attrs: attrs, delay: j.DelaySeconds, size: job.MessageSize(body, attrs)}
	}

	outcomes := h.send(ctx, messages)

	resp := job.EnqueueResponse{Jobs: outcomes}
	for _, o := range outcomes {
		if o.Status == job.OutcomeQueued {
			resp.Queued++
		} else {
			resp.Failed++
		}
	}
	h.Logger.InfoContext(ctx, "jobs enqueued", "queued", resp.Queued, "failed", resp.Failed, "correlation_id", firstCorrelationID(jobs))
	return resp, nil
}

func firstCorrelationID(jobs []job.Job) string {
	if len(jobs) == 0 {
		return ""
	}
	return jobs[0].CorrelationID
}

// isBadRequest reports whether err is the caller's fault.
func isBadRequest(err error) bool {
	var bad *BadRequestError
	return errors.As(err, &bad)
}
