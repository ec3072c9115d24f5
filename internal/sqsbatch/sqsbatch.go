// Package sqsbatch runs the records of an SQS event concurrently and builds
// the partial batch response that Lambda's ReportBatchItemFailures expects.
package sqsbatch

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// PanicError is a panic recovered from the function run on one record.
type PanicError struct {
	Value any
	Stack []byte
}

// Error names the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Run calls fn for every record, at most limit at a time (limit < 1 means
// 1), and returns fn's error for each record by index. A panic in fn is
// recovered and returned as that record's *PanicError, so it fails only
// that record. Run returns when every call has returned.
func Run[T any](ctx context.Context, records []events.SQSMessage, limit int, fn func(context.Context, events.SQSMessage) (T, error)) ([]T, []error) {
	limit = max(limit, 1)
	values := make([]T, len(records))
	errs := make([]error, len(records))
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range records {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			values[i], errs[i] = callSafely(ctx, records[i], fn)
		}()
	}
	wg.Wait()
	return values, errs
}

func callSafely[T any](ctx context.Context, record events.SQSMessage, fn func(context.Context, events.SQSMessage) (T, error)) (value T, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn(ctx, record)
}

// Response returns the partial batch response that retries the records with
// the given message IDs. It drops empty and repeated IDs, because an empty
// or unknown itemIdentifier makes Lambda fail the whole batch.
func Response(failedMessageIDs []string) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	seen := make(map[string]bool, len(failedMessageIDs))
	for _, id := range failedMessageIDs {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	return resp
}

// ReceiveCount returns the record's ApproximateReceiveCount attribute, or 1
// when it is missing or not a positive number.
func ReceiveCount(record events.SQSMessage) int {
	n, err := strconv.Atoi(record.Attributes["ApproximateReceiveCount"])
	if err != nil || n < 1 {
		return 1
	}
	return n
}
