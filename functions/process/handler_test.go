package main

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestReplaySQSBatchEvent(t *testing.T) {
	payload, err := os.ReadFile("../../events/sqs-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	queue, topic := &fakeQueue{}, &fakeTopic{}
	h := newTestHandler(t, queue, topic, nil)

	raw, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("decode response %s: %v", raw, err)
	}

	// The flaky job (input 2, receive count 2) fails once more.
	wantFailures := []events.SQSBatchItemFailure{{ItemIdentifier: "e7f8a9b0-c1d2-4e3f-9a4b-5c6d7e8f9a0b"}}
	if !slices.Equal(resp.BatchItemFailures, wantFailures) {
		t.Errorf("batch item failures = %v, want %v", resp.BatchItemFailures, wantFailures)
	}

	published := map[string]string{}
	for _, r := range topic.results {
		published[r.JobID] = string(r.Status) + " " + r.Output
	}
	wantPublished := map[string]string{
		"job-checksum-1": "succeeded e3eded78d2082764a4f5bc78584aea1d3975986574810cb6f7330d8e464f17df",
		"job-text-1":     "succeeded 9",
		"job-verify-1":   "failed ",
	}
	if len(published) != len(wantPublished) {
		t.Errorf("published %v, want %v", published, wantPublished)
	}
	for id, want := range wantPublished {
		if published[id] != want {
			t.Errorf("result of %s = %q, want %q", id, published[id], want)
		}
	}

	// The text-form job carries no enqueuedAt or correlation ID; its
	// enqueue time comes from SentTimestamp.
	for _, r := range topic.results {
		if !r.EnqueuedAt.Equal(time.UnixMilli(1796400000000)) {
			t.Errorf("result of %s: enqueuedAt = %s, want 2026-12-04T16:00:00Z", r.JobID, r.EnqueuedAt)
		}
		if r.Attempt != 1 {
			t.Errorf("result of %s: attempt = %d, want 1", r.JobID, r.Attempt)
		}
		wantCorrelation := "req-7f3a"
		if r.JobID == "job-text-1" {
			wantCorrelation = ""
		}
		if r.CorrelationID != wantCorrelation {
			t.Errorf("result of %s: correlationId = %q, want %q", r.JobID, r.CorrelationID, wantCorrelation)
		}
	}

	if len(queue.sent) != 1 {
		t.Fatalf("DLQ got %d messages, want 1 (the malformed job)", len(queue.sent))
	}
	dlq := queue.sent[0]
	if got := aws.ToString(dlq.MessageAttributes["reason"].StringValue); got != ReasonMalformedJob {
		t.Errorf("DLQ reason = %q, want %q", got, ReasonMalformedJob)
	}
	if got := aws.ToString(dlq.MessageBody); got != `{"id":"job-broken","task":"checksum","input":` {
		t.Errorf("DLQ body = %q, want the original body", got)
	}

	if len(queue.visibility) != 1 {
		t.Fatalf("visibility changes = %d, want 1", len(queue.visibility))
	}
	// Receive count 2: 10 s * 2^1.
	if got := queue.visibility[0].VisibilityTimeout; got != 20 {
		t.Errorf("visibility timeout = %d, want 20", got)
	}
}
