package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/relay-pipeline/relay/internal/tasks"
)

func record(id, body string, receiveCount int) events.SQSMessage {
	return events.SQSMessage{
		MessageId:     id,
		ReceiptHandle: "rh-" + id,
		Body:          body,
		Attributes: map[string]string{
			"ApproximateReceiveCount": fmt.Sprint(receiveCount),
			"SentTimestamp":           "1796400000000",
		},
	}
}

func failures(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func handle(t *testing.T, h *Handler, ctx context.Context, records ...events.SQSMessage) events.SQSEventResponse {
	t.Helper()
	resp, err := h.Handle(ctx, events.SQSEvent{Records: records})
	if err != nil {
		t.Fatalf("Handle returned an error, which fails the whole batch: %v", err)
	}
	return resp
}

func TestPublishEntryFailureRetriesOnlyThatRecord(t *testing.T) {
	queue, topic := &fakeQueue{}, &fakeTopic{failJob: "b"}
	h := newTestHandler(t, queue, topic, nil)

	resp := handle(t, h, context.Background(),
		record("m-a", "a checksum x", 1), record("m-b", "b checksum y", 3), record("m-c", "c wordcount one two", 1))

	if got := failures(resp); !slices.Equal(got, []string{"m-b"}) {
		t.Errorf("batch item failures = %v, want [m-b]", got)
	}
	if len(topic.results) != 2 {
		t.Errorf("published %d results, want 2", len(topic.results))
	}
	if len(queue.visibility) != 1 || aws.ToString(queue.visibility[0].ReceiptHandle) != "rh-m-b" || queue.visibility[0].VisibilityTimeout != 40 {
		t.Errorf("visibility changes = %+v, want rh-m-b to 40 s (10 s * 2^2)", queue.visibility)
	}
}

func TestPublishCallFailureRetriesAllResults(t *testing.T) {
	queue, topic := &fakeQueue{}, &fakeTopic{publishErr: errors.New("connection reset")}
	h := newTestHandler(t, queue, topic, nil)

	resp := handle(t, h, context.Background(), record("m-a", "a checksum x", 1), record("m-b", "b checksum y", 1))

	if got := failures(resp); !slices.Equal(got, []string{"m-a", "m-b"}) {
		t.Errorf("batch item failures = %v, want both", got)
	}
}

func TestPanickingTaskFailsOnlyItsRecord(t *testing.T) {
	registry := tasks.NewRegistry(map[string]tasks.Func{
		"checksum": tasks.Checksum,
		"explode":  func(context.Context, tasks.Request) (string, error) { panic("boom") },
	})
	queue, topic := &fakeQueue{}, &fakeTopic{}
	h := newTestHandler(t, queue, topic, registry)

	resp := handle(t, h, context.Background(), record("m-a", "a checksum x", 1), record("m-b", "b explode x", 1))

	if got := failures(resp); !slices.Equal(got, []string{"m-b"}) {
		t.Errorf("batch item failures = %v, want [m-b]", got)
	}
	if len(topic.results) != 1 || topic.results[0].JobID != "a" {
		t.Errorf("published %+v, want only job a", topic.results)
	}
}

func TestJobPastDeadlineIsTransient(t *testing.T) {
	stuck := make(chan struct{})
	defer close(stuck)
	registry := tasks.NewRegistry(map[string]tasks.Func{
		"sleep":    tasks.Sleep,
		"checksum": tasks.Checksum,
		// stuck ignores its context, so only runTask's deadline can end it.
		"stuck": func(context.Context, tasks.Request) (string, error) { <-stuck; return "", nil },
	})
	queue, topic := &fakeQueue{}, &fakeTopic{}
	h := newTestHandler(t, queue, topic, registry)
	// 1.2 s to the invocation deadline leaves jobs 0.2 s after the 1 s margin.
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()

	resp := handle(t, h, ctx, record("m-sleep", "s sleep 10m", 1), record("m-stuck", "x stuck forever", 1), record("m-ok", "ok checksum x", 1))

	if got := failures(resp); !slices.Equal(got, []string{"m-sleep", "m-stuck"}) {
		t.Errorf("batch item failures = %v, want the sleeping and the stuck job", got)
	}
	if len(topic.results) != 1 || topic.results[0].JobID != "ok" {
		t.Errorf("published %+v, want job ok", topic.results)
	}
	if ctx.Err() != nil {
		t.Error("the handler used up the invocation's deadline; the margin was not kept")
	}
}

func TestPermanentFailuresGoToDLQ(t *testing.T) {
	queue, topic := &fakeQueue{}, &fakeTopic{}
	h := newTestHandler(t, queue, topic, nil)
	unknown := record("m-unknown", `{"id":"u","task":"teleport","input":"x"}`, 2)
	unknown.MessageAttributes = map[string]events.SQSMessageAttribute{
		"job_id":         {DataType: "String", StringValue: aws.String("u")},
		"correlation_id": {DataType: "String", StringValue: aws.String("req-9")},
	}

	resp := handle(t, h, context.Background(), unknown, record("m-invalid", "v verify not-a-hash text", 1), record("m-bad", "only two", 1))

	if got := failures(resp); len(got) != 0 {
		t.Errorf("batch item failures = %v, want none: permanent failures count as handled", got)
	}
	byReason := map[string]map[string]string{}
	for _, e := range queue.sent {
		attrs := map[string]string{}
		for name, v := range e.MessageAttributes {
			attrs[name] = aws.ToString(v.DataType) + ":" + aws.ToString(v.StringValue)
		}
		byReason[attrs["reason"]] = attrs
	}
	want := map[string]map[string]string{
		"String:" + ReasonUnknownTask: {"error": `String:unknown task "teleport"`, "task": "String:teleport", "receive_count": "Number:2",
			"job_id": "String:u", "correlation_id": "String:req-9"},
		"String:" + ReasonInvalidInput: {"error": `String:verify hash "not-a-hash" is 10 characters, expected 64 hex digits`,
			"task": "String:verify", "receive_count": "Number:1"},
		"String:" + ReasonMalformedJob: {"error": `String:text job has 2 fields, expected 3: "ID TASK INPUT"`, "task": "String:-",
			"receive_count": "Number:1"},
	}
	for reason, wantAttrs := range want {
		got, ok := byReason[reason]
		if !ok {
			t.Errorf("no DLQ message with reason %s; got %v", reason, byReason)
			continue
		}
		for name, value := range wantAttrs {
			if got[name] != value {
				t.Errorf("%s: attribute %s = %q, want %q", reason, name, got[name], value)
			}
		}
	}
	if len(queue.visibility) != 0 {
		t.Errorf("visibility changed for %d records, want none", len(queue.visibility))
	}
}

func TestDLQSendFailureRetriesRecord(t *testing.T) {
	queue, topic := &fakeQueue{failBody: "bad body"}, &fakeTopic{}
	h := newTestHandler(t, queue, topic, nil)

	resp := handle(t, h, context.Background(), record("m-bad", "bad body", 1), record("m-other", "other teleport x", 1))

	if got := failures(resp); !slices.Equal(got, []string{"m-bad"}) {
		t.Errorf("batch item failures = %v, want [m-bad]", got)
	}

	queue = &fakeQueue{sendErr: errors.New("queue unavailable")}
	h = newTestHandler(t, queue, topic, nil)
	resp = handle(t, h, context.Background(), record("m-bad", "bad body", 1), record("m-other", "other teleport x", 1))
	if got := failures(resp); !slices.Equal(got, []string{"m-bad", "m-other"}) {
		t.Errorf("batch item failures after a failed call = %v, want both", got)
	}
}

func TestFlakyJobSucceedsAfterPlannedFailures(t *testing.T) {
	for attempt, wantFailed := range map[int]bool{1: true, 2: true, 3: false} {
		queue, topic := &fakeQueue{}, &fakeTopic{}
		h := newTestHandler(t, queue, topic, nil)

		resp := handle(t, h, context.Background(), record("m-f", "f flaky 2", attempt))

		if failed := len(resp.BatchItemFailures) == 1; failed != wantFailed {
			t.Errorf("attempt %d: failed = %v, want %v", attempt, failed, wantFailed)
		}
		if !wantFailed && (len(topic.results) != 1 || topic.results[0].Attempt != 3) {
			t.Errorf("attempt %d: published %+v, want one result with attempt 3", attempt, topic.results)
		}
	}
}

func TestVisibilityBackoffGrowsWithReceiveCount(t *testing.T) {
	tests := map[int]int32{1: 10, 2: 20, 4: 80, 7: 640, 8: 900, 50: 900}
	for receiveCount, want := range tests {
		queue, topic := &fakeQueue{}, &fakeTopic{}
		h := newTestHandler(t, queue, topic, nil)

		handle(t, h, context.Background(), record("m-f", "f flaky 1000", receiveCount))

		if len(queue.visibility) != 1 || queue.visibility[0].VisibilityTimeout != want {
			t.Errorf("receive count %d: visibility changes %+v, want one of %d s", receiveCount, queue.visibility, want)
		}
	}
}

func TestMaxParallelJobsBoundsConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	registry := tasks.NewRegistry(map[string]tasks.Func{"track": func(context.Context, tasks.Request) (string, error) {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(2 * time.Millisecond)
		running.Add(-1)
		return "ok", nil
	}})
	queue, topic := &fakeQueue{}, &fakeTopic{}
	h := newTestHandler(t, queue, topic, registry)
	h.MaxParallelJobs = 2
	var records []events.SQSMessage
	for i := range 10 {
		records = append(records, record(fmt.Sprintf("m-%d", i), fmt.Sprintf("j%d track x", i), 1))
	}

	handle(t, h, context.Background(), records...)

	if got := peak.Load(); got > 2 {
		t.Errorf("peak concurrency = %d, want at most 2", got)
	}
	if len(topic.results) != 10 {
		t.Errorf("published %d results, want 10", len(topic.results))
	}
	for _, call := range topic.calls {
		if len(call.PublishBatchRequestEntries) > 10 {
			t.Errorf("PublishBatch with %d entries, want at most 10", len(call.PublishBatchRequestEntries))
		}
	}
}

func TestNewHandlerNamesMissingVariables(t *testing.T) {
	getenv := func(name string) string {
		return map[string]string{"JOBS_QUEUE_URL": "http://127.0.0.1:1/q", "MAX_PARALLEL_JOBS": "0"}[name]
	}

	_, err := newHandler(context.Background(), getenv, nil)

	if err == nil {
		t.Fatal("newHandler returned no error")
	}
	for _, want := range []string{"JOBS_DLQ_URL is not set", "RESULTS_TOPIC_ARN is not set", "MAX_PARALLEL_JOBS=0 is out of range 1-1000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestEmptyMessageIDIsNeverReported(t *testing.T) {
	queue, topic := &fakeQueue{}, &fakeTopic{}
	h := newTestHandler(t, queue, topic, nil)

	resp := handle(t, h, context.Background(), record("", "f flaky 5", 1))

	if resp.BatchItemFailures == nil || len(resp.BatchItemFailures) != 0 {
		t.Errorf("batch item failures = %#v, want an empty list", resp.BatchItemFailures)
	}
}
