package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/tasks"
)

// entryFault makes a job's entry fail: Times times (-1: always), with the
// given SenderFault.
type entryFault struct {
	Times       int
	SenderFault bool
}

// fakeQueue records SendMessageBatch calls. faults maps a job ID (the
// job_id attribute) to an injected entry failure; callErrs fail whole calls
// in order until used up.
type fakeQueue struct {
	mu       sync.Mutex
	calls    []*sqs.SendMessageBatchInput
	queued   []types.SendMessageBatchRequestEntry
	faults   map[string]*entryFault
	callErrs []error
}

func (f *fakeQueue) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if len(in.Entries) > 10 {
		return nil, fmt.Errorf("TooManyEntriesInBatchRequest: %d entries", len(in.Entries))
	}
	if len(f.callErrs) > 0 {
		err := f.callErrs[0]
		f.callErrs = f.callErrs[1:]
		return nil, err
	}

	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		id := aws.ToString(e.MessageAttributes["job_id"].StringValue)
		if fault := f.faults[id]; fault != nil && fault.Times != 0 {
			if fault.Times > 0 {
				fault.Times--
			}
			code := "InternalError"
			if fault.SenderFault {
				code = "InvalidParameterValue"
			}
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String(code), Message: aws.String("injected"), SenderFault: fault.SenderFault})
			continue
		}
		f.queued = append(f.queued, e)
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("msg-" + id)})
	}
	return out, nil
}

func newTestHandler(t *testing.T, queue *fakeQueue) *Handler {
	t.Helper()
	h := NewHandler(queue, "http://127.0.0.1:1/123456789012/relay-jobs", tasks.Builtin(), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	h.RetryDelay = time.Millisecond
	h.Now = func() time.Time { return time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC) }
	n := 0
	var mu sync.Mutex
	h.NewID = func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("generated-%d", n)
	}
	return h
}
