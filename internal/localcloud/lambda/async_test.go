package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// destinationRecord mirrors Lambda's on-failure invocation record.
type destinationRecord struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// recordSink collects destination records.
type recordSink struct {
	mu      sync.Mutex
	records [][]byte
}

func (s *recordSink) onFailure(_ context.Context, record []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, record)
	return nil
}

func (s *recordSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

func (s *recordSink) decode(t *testing.T, i int) destinationRecord {
	t.Helper()
	s.mu.Lock()
	raw := s.records[i]
	s.mu.Unlock()
	var rec destinationRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatalf("decode destination record %s: %v", raw, err)
	}
	return rec
}

func TestInvokeAsyncRetriesThenOnFailure(t *testing.T) {
	var sink recordSink
	var logs syncBuffer
	r := newTestRuntime(t, Config{AsyncRetryDelay: 20 * time.Millisecond, LogOutput: &logs})
	register(t, r, Function{Name: "notified", OnFailure: sink.onFailure})

	event := `{"action":"error","message":"cannot decode Sns.Message"}`
	start := time.Now()
	if err := r.InvokeAsync(context.Background(), r.FunctionARN("notified"), []byte(event)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the on-failure record", func() bool { return sink.count() == 1 })

	// Retry n waits n × AsyncRetryDelay: 20ms + 40ms.
	if elapsed := time.Since(start); elapsed < 60*time.Millisecond {
		t.Errorf("three attempts took %s, want at least the two retry delays (60ms)", elapsed)
	}
	rec := sink.decode(t, 0)
	if rec.Version != "1.0" || rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 3 {
		t.Errorf("record version=%q condition=%q count=%d, want 1.0, RetriesExhausted, 3",
			rec.Version, rec.RequestContext.Condition, rec.RequestContext.ApproximateInvokeCount)
	}
	if want := r.FunctionARN("notified") + ":$LATEST"; rec.RequestContext.FunctionARN != want {
		t.Errorf("record functionArn = %q, want %q", rec.RequestContext.FunctionARN, want)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", rec.Timestamp); err != nil {
		t.Errorf("record timestamp %q: %v", rec.Timestamp, err)
	}
	if string(rec.RequestPayload) != event {
		t.Errorf("requestPayload = %s, want the event unchanged %s", rec.RequestPayload, event)
	}
	if rec.ResponseContext.StatusCode != 200 || rec.ResponseContext.ExecutedVersion != "$LATEST" || rec.ResponseContext.FunctionError != "Unhandled" {
		t.Errorf("responseContext = %+v, want 200, $LATEST, Unhandled", rec.ResponseContext)
	}
	if string(rec.ResponsePayload) != `{"errorMessage":"cannot decode Sns.Message","errorType":"errorString"}` {
		t.Errorf("responsePayload = %s, want the function's error object", rec.ResponsePayload)
	}

	s := r.Stats().Functions["notified"]
	if s.Invokes != 3 || s.AsyncAccepted != 1 || s.AsyncRetries != 2 || s.AsyncFailed != 1 || s.AsyncSucceeded != 0 {
		t.Errorf("stats invokes=%d accepted=%d retries=%d failed=%d succeeded=%d, want 3, 1, 2, 1, 0",
			s.Invokes, s.AsyncAccepted, s.AsyncRetries, s.AsyncFailed, s.AsyncSucceeded)
	}
	// Each attempt logs the same request id, as Lambda's retries keep it.
	if n := strings.Count(logs.String(), rec.RequestContext.RequestID); n != 3 {
		t.Errorf("the request id appears in %d log lines, want 3 (one per attempt):\n%s", n, logs.String())
	}
}

func TestInvokeAsyncSuccess(t *testing.T) {
	var sink recordSink
	r := newTestRuntime(t, Config{AsyncRetryDelay: 10 * time.Millisecond})
	register(t, r, Function{OnFailure: sink.onFailure})

	for range 20 {
		if err := r.InvokeAsync(context.Background(), "echo", []byte(`{"ok":true}`)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "20 successful events", func() bool { return r.Stats().Functions["echo"].AsyncSucceeded == 20 })
	if sink.count() != 0 || r.Stats().Functions["echo"].AsyncRetries != 0 {
		t.Errorf("successful events produced %d records and %d retries, want none", sink.count(), r.Stats().Functions["echo"].AsyncRetries)
	}
}

func TestInvokeAsyncWithoutRetries(t *testing.T) {
	var sink recordSink
	r := newTestRuntime(t, Config{AsyncRetryDelay: time.Hour})
	register(t, r, Function{Timeout: 200 * time.Millisecond, MaxAsyncRetries: NoAsyncRetries, OnFailure: sink.onFailure})

	if err := r.InvokeAsync(context.Background(), "echo", []byte(`{"action":"sleep","sleepMs":3000}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the on-failure record", func() bool { return sink.count() == 1 })
	rec := sink.decode(t, 0)
	if rec.RequestContext.ApproximateInvokeCount != 1 {
		t.Errorf("approximateInvokeCount = %d, want 1 without retries", rec.RequestContext.ApproximateInvokeCount)
	}
	if !strings.Contains(string(rec.ResponsePayload), "Sandbox.Timedout") {
		t.Errorf("responsePayload = %s, want the timeout error", rec.ResponsePayload)
	}
}

func TestInvokeAsyncQueueFull(t *testing.T) {
	r := newTestRuntime(t, Config{AsyncQueueSize: 2})
	register(t, r, Function{MaxInstances: 1})

	var full error
	for range 50 {
		if err := r.InvokeAsync(context.Background(), "echo", []byte(`{"action":"sleep","sleepMs":200}`)); err != nil {
			full = err
			break
		}
	}
	if !errors.Is(full, ErrAsyncQueueFull) {
		t.Errorf("InvokeAsync on a full queue = %v, want ErrAsyncQueueFull", full)
	}
}

func TestCloseReportsUndeliveredAsyncInvokes(t *testing.T) {
	r, err := New(Config{AsyncRetryDelay: time.Hour, DrainTimeout: 100 * time.Millisecond, ShutdownGrace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	register(t, r, Function{})
	if err := r.InvokeAsync(context.Background(), "echo", []byte(`{"action":"error","message":"x"}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retry to be scheduled", func() bool { return r.Stats().Functions["echo"].AsyncRetries == 1 })

	err = r.Close()
	if err == nil || !strings.Contains(err.Error(), "1 asynchronous invokes not delivered") {
		t.Errorf("Close = %v, want it to report the event waiting for its retry", err)
	}
	if again := r.Close(); again != err {
		t.Errorf("second Close = %v, want the first result %v", again, err)
	}
	if _, err := r.Invoke(context.Background(), "echo", []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close = %v, want ErrClosed", err)
	}
	if err := r.InvokeAsync(context.Background(), "echo", []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("InvokeAsync after Close = %v, want ErrClosed", err)
	}
	s := r.Stats().Functions["echo"]
	if s.Instances != 0 || s.AsyncDropped != 1 {
		t.Errorf("after Close: instances=%d dropped=%d, want 0 and 1", s.Instances, s.AsyncDropped)
	}
}

func TestCloseDrainsQueuedAsyncInvokes(t *testing.T) {
	r, err := New(Config{DrainTimeout: 10 * time.Second, ShutdownGrace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	register(t, r, Function{MaxInstances: 2})
	for range 30 {
		if err := r.InvokeAsync(context.Background(), "echo", []byte(`{"action":"sleep","sleepMs":5}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close = %v, want every queued event run", err)
	}
	if s := r.Stats().Functions["echo"]; s.AsyncSucceeded != 30 {
		t.Errorf("events run before Close returned: %d, want 30", s.AsyncSucceeded)
	}
}

func TestFailureRecordEncodesNonJSON(t *testing.T) {
	ev := &asyncEvent{requestID: "id-1", payload: []byte("not json"), attempts: 3,
		last: Response{Payload: nil, FunctionError: FunctionErrorUnhandled}}
	raw := failureRecord(ev, "arn:aws:lambda:us-east-1:000000000000:function:f", conditionRetriesExhausted, time.Unix(0, 0))
	if !json.Valid(raw) {
		t.Fatalf("record is not valid JSON: %s", raw)
	}
	var rec destinationRecord
	_ = json.Unmarshal(raw, &rec)
	if string(rec.RequestPayload) != `"not json"` || string(rec.ResponsePayload) != "null" {
		t.Errorf("requestPayload=%s responsePayload=%s, want a JSON string and null", rec.RequestPayload, rec.ResponsePayload)
	}
	if rec.Timestamp != "1970-01-01T00:00:00.000Z" {
		t.Errorf("timestamp = %q, want 1970-01-01T00:00:00.000Z", rec.Timestamp)
	}
}
