package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/relay-pipeline/relay/internal/snsmsg"
)

// Handler logs one "job finished" line per result notification.
type Handler struct {
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// RecordError is a notification whose message does not decode into a
// result.
type RecordError struct {
	Index     int
	MessageID string
	Err       error
}

// Error names the record by index and SNS message ID.
func (e *RecordError) Error() string {
	return fmt.Sprintf("record %d (SNS message %q): %v", e.Index, e.MessageID, e.Err)
}

// Unwrap returns the decode error.
func (e *RecordError) Unwrap() error { return e.Err }

// UndecodableRecordsError lists every record of an event that did not
// decode. Lambda reports its type name as the errorType.
type UndecodableRecordsError struct {
	Records []*RecordError
}

// Error joins the records' errors with "; ".
func (e *UndecodableRecordsError) Error() string {
	parts := make([]string, len(e.Records))
	for i, r := range e.Records {
		parts[i] = r.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the records' errors.
func (e *UndecodableRecordsError) Unwrap() []error {
	errs := make([]error, len(e.Records))
	for i, r := range e.Records {
		errs[i] = r
	}
	return errs
}

// Handle decodes every record's Sns.Message into a result and logs it with
// job_id, task, status, attempt, message_id and latency_ms. The latency runs
// from the result's enqueuedAt to the record's Sns.Timestamp (when SNS
// accepted the publish), or to now when the record has no timestamp. It
// logs every record that decodes, then returns an error naming each record
// that did not, so that Lambda's retries and on-failure destination keep
// the event.
func (h *Handler) Handle(ctx context.Context, event events.SNSEvent) error {
	var undecodable []*RecordError
	for i, record := range event.Records {
		result, err := snsmsg.DecodeResult(record.SNS.Message)
		if err != nil {
			undecodable = append(undecodable, &RecordError{Index: i, MessageID: record.SNS.MessageID, Err: err})
			continue
		}

		notifiedAt := record.SNS.Timestamp
		if notifiedAt.IsZero() {
			notifiedAt = h.now()
		}
		attrs := []slog.Attr{
			slog.String("job_id", result.JobID),
			slog.String("task", result.Task),
			slog.String("status", string(result.Status)),
			slog.Int("attempt", result.Attempt),
			slog.String("message_id", result.MessageID),
			slog.String("sns_message_id", record.SNS.MessageID),
		}
		if !result.EnqueuedAt.IsZero() {
			attrs = append(attrs, slog.Int64("latency_ms", notifiedAt.Sub(result.EnqueuedAt).Milliseconds()))
		}
		if result.CorrelationID != "" {
			attrs = append(attrs, slog.String("correlation_id", result.CorrelationID))
		}
		if result.Error != "" {
			attrs = append(attrs, slog.String("error", result.Error))
		}
		h.Logger.LogAttrs(ctx, slog.LevelInfo, "job finished", attrs...)
	}

	if len(undecodable) == 0 {
		return nil
	}
	err := &UndecodableRecordsError{Records: undecodable}
	h.Logger.ErrorContext(ctx, "notification records did not decode", "records", len(undecodable), "err", err)
	return err
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
