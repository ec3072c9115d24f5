package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/chunk"
	"github.com/relay-pipeline/relay/internal/job"
)

// message is one job ready to send.
type message struct {
	jobID string
	body  string
	attrs map[string]string
	delay int
	size  int
}

// send queues the messages in SendMessageBatch calls of at most
// job.MaxBatchEntries entries and job.MaxBatchBytes bytes, and returns the
// outcome of each message by index.
func (h *Handler) send(ctx context.Context, messages []message) []job.EnqueueOutcome {
	outcomes := make([]job.EnqueueOutcome, len(messages))
	sizes := make([]int, len(messages))
	for i, m := range messages {
		sizes[i] = m.size
	}

	slots := make(chan struct{}, max(h.Concurrency, 1))
	var wg sync.WaitGroup
	for _, r := range chunk.BySize(sizes, job.MaxBatchEntries, job.MaxBatchBytes) {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			h.sendChunk(ctx, messages[r.Start:r.End], outcomes[r.Start:r.End])
		}()
	}
	wg.Wait()
	return outcomes
}

// sendChunk sends one batch, retrying with backoff the entries that failed
// with a retryable error (SenderFault false) and the whole call when it
// failed with a retryable error, up to MaxAttempts attempts.
func (h *Handler) sendChunk(ctx context.Context, messages []message, outcomes []job.EnqueueOutcome) {
	pending := make([]int, len(messages))
	for i := range messages {
		pending[i] = i
		outcomes[i] = job.EnqueueOutcome{ID: messages[i].jobID, Status: job.OutcomeFailed, Error: "not sent"}
	}

	attempts := max(h.MaxAttempts, 1)
	for attempt := 1; attempt <= attempts && len(pending) > 0; attempt++ {
		if attempt > 1 {
			delay := h.RetryDelay << (attempt - 2)
			h.Logger.WarnContext(ctx, "retrying SendMessageBatch entries", "queue", h.QueueURL, "entries", len(pending), "attempt", attempt, "delay", delay)
			if err := sleep(ctx, delay); err != nil {
				markFailed(outcomes, pending, fmt.Sprintf("not sent: %v", err))
				return
			}
		}
		last := attempt == attempts

		out, err := h.Queue.SendMessageBatch(ctx, batchInput(h.QueueURL, messages, pending))
		if err != nil {
			retryable := isRetryable(err)
			markFailed(outcomes, pending, fmt.Sprintf("SendMessageBatch failed: %v", err))
			if !retryable || last || ctx.Err() != nil {
				h.Logger.ErrorContext(ctx, "SendMessageBatch failed", "queue", h.QueueURL, "entries", len(pending), "attempt", attempt, "err", err)
				return
			}
			continue
		}
		pending = h.applyBatchOutput(out, outcomes, pending, last)
	}
}

// applyBatchOutput records the outcome of each pending entry and returns
// the entries to try again.
func (h *Handler) applyBatchOutput(out *sqs.SendMessageBatchOutput, outcomes []job.EnqueueOutcome, pending []int, last bool) []int {
	done := make(map[int]bool, len(pending))
	for _, s := range out.Successful {
		i, ok := entryIndex(s.Id, len(outcomes))
		if !ok {
			continue
		}
		outcomes[i].Status = job.OutcomeQueued
		outcomes[i].MessageID = aws.ToString(s.MessageId)
		outcomes[i].Error = ""
		done[i] = true
	}

	var retry []int
	for _, f := range out.Failed {
		i, ok := entryIndex(f.Id, len(outcomes))
		if !ok || done[i] {
			continue
		}
		outcomes[i].Error = fmt.Sprintf("SendMessageBatch entry failed: %s: %s", aws.ToString(f.Code), aws.ToString(f.Message))
		done[i] = true
		if !f.SenderFault && !last {
			retry = append(retry, i)
		}
	}

	// An entry missing from both lists has no known outcome; send it again.
	for _, i := range pending {
		if !done[i] {
			outcomes[i].Error = "SendMessageBatch response did not list the entry"
			if !last {
				retry = append(retry, i)
			}
		}
	}
	return retry
}

func batchInput(queueURL string, messages []message, pending []int) *sqs.SendMessageBatchInput {
	entries := make([]types.SendMessageBatchRequestEntry, 0, len(pending))
	for _, i := range pending {
		m := messages[i]
		attrs := make(map[string]types.MessageAttributeValue, len(m.attrs))
		for name, value := range m.attrs {
			attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(value)}
		}
		entries = append(entries, types.SendMessageBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(i)),
			MessageBody:       aws.String(m.body),
			DelaySeconds:      int32(m.delay),
			MessageAttributes: attrs,
		})
	}
	return &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries}
}

func entryIndex(id *string, n int) (int, bool) {
	i, err := strconv.Atoi(aws.ToString(id))
	return i, err == nil && i >= 0 && i < n
}

func markFailed(outcomes []job.EnqueueOutcome, pending []int, reason string) {
	for _, i := range pending {
		outcomes[i].Status = job.OutcomeFailed
		outcomes[i].Error = reason
	}
}

// isRetryable reports whether a failed call may succeed when made again:
// throttling, timeouts, connection errors and 5xx responses, as the SDK's
// standard retryer classifies them.
func isRetryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
