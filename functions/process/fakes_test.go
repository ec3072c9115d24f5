package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/tasks"
)

// fakeQueue records DLQ sends and visibility changes. failBody makes the
// DLQ entry with that body fail; sendErr fails the whole call.
type fakeQueue struct {
	mu         sync.Mutex
	sent       []sqstypes.SendMessageBatchRequestEntry
	visibility []sqstypes.ChangeMessageVisibilityBatchRequestEntry
	sendCalls  int
	failBody   string
	sendErr    error
}

func (f *fakeQueue) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sendCalls++
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		if f.failBody != "" && aws.ToString(e.MessageBody) == f.failBody {
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("injected")})
			continue
		}
		f.sent = append(f.sent, e)
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("dlq-" + aws.ToString(e.Id))})
	}
	return out, nil
}

func (f *fakeQueue) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.visibility = append(f.visibility, in.Entries...)
	out := &sqs.ChangeMessageVisibilityBatchOutput{}
	for _, e := range in.Entries {
		out.Successful = append(out.Successful, sqstypes.ChangeMessageVisibilityBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

// fakeTopic records published results. failJob makes the entry of that job
// fail; publishErr fails the whole call.
type fakeTopic struct {
	mu         sync.Mutex
	calls      []*sns.PublishBatchInput
	results    []job.Result
	failJob    string
	publishErr error
}

func (f *fakeTopic) PublishBatch(_ context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if f.publishErr != nil {
		return nil, f.publishErr
	}
	out := &sns.PublishBatchOutput{}
	for _, e := range in.PublishBatchRequestEntries {
		var message map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(e.Message)), &message); err != nil {
			return nil, err
		}
		var r job.Result
		if err := json.Unmarshal([]byte(message["default"]), &r); err != nil {
			return nil, err
		}
		if r.JobID == f.failJob {
			out.Failed = append(out.Failed, snstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("injected"), SenderFault: false})
			continue
		}
		f.results = append(f.results, r)
		out.Successful = append(out.Successful, snstypes.PublishBatchResultEntry{Id: e.Id, MessageId: aws.String("sns-" + aws.ToString(e.Id))})
	}
	return out, nil
}

func newTestHandler(t *testing.T, queue *fakeQueue, topic *fakeTopic, registry *tasks.Registry) *Handler {
	t.Helper()
	if registry == nil {
		registry = tasks.Builtin()
	}
	return &Handler{
		DeadLetters:     queue,
		DLQURL:          "http://127.0.0.1:1/123456789012/relay-jobs-dlq",
		Visibility:      queue,
		QueueURL:        "http://127.0.0.1:1/123456789012/relay-jobs",
		Topic:           topic,
		TopicARN:        "arn:aws:sns:us-east-1:123456789012:relay-results",
		Tasks:           registry,
		Logger:          slog.New(slog.NewJSONHandler(io.Discard, nil)),
		MaxParallelJobs: 4,
		RetryBackoff:    DefaultRetryBackoff,
		MaxRetryBackoff: DefaultMaxRetryBackoff,
	}
}
