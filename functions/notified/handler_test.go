package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func TestReplaySNSNotificationEvent(t *testing.T) {
	payload, err := os.ReadFile("../../events/sns-notification.json")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}

	if _, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload); err != nil {
		t.Fatalf("Invoke: %v", err)
	}

	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log output %q is not one JSON line: %v", logs.String(), err)
	}
	want := map[string]any{
		"msg":        "job finished",
		"job_id":     "job-checksum-1",
		"task":       "checksum",
		"status":     "succeeded",
		"attempt":    float64(1),
		"message_id": "5f9e7c1a-3b2d-4e8f-9a01-c2d3e4f5a6b1",
		"latency_ms": float64(1530),
	}
	for key, value := range want {
		if line[key] != value {
			t.Errorf("log %s = %v, want %v", key, line[key], value)
		}
	}
}

func TestUndecodableRecordIsError(t *testing.T) {
	var logs bytes.Buffer
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Now: func() time.Time { return time.Date(2026, 12, 4, 16, 0, 2, 0, time.UTC) }}
	good := `{"jobId":"a","task":"checksum","status":"failed","error":"mismatch","attempt":3,"messageId":"m-a","enqueuedAt":"2026-12-04T16:00:00Z","finishedAt":"2026-12-04T16:00:01Z"}`
	event := events.SNSEvent{Records: []events.SNSEventRecord{
		{SNS: events.SNSEntity{MessageID: "sns-1", Message: good}},
		{SNS: events.SNSEntity{MessageID: "sns-2", Message: "Hello from SNS!"}},
		{SNS: events.SNSEntity{MessageID: "sns-3", Message: `{"jobId":"c","task":"t","status":"lost"}`}},
	}}

	err := h.Handle(context.Background(), event)

	want := "record 1 (SNS message \"sns-2\"): decode result: invalid character 'H' looking for beginning of value; " +
		"record 2 (SNS message \"sns-3\"): decode result of job \"c\": status \"lost\" is not succeeded or failed"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	var recordErr *RecordError
	if !errors.As(err, &recordErr) || recordErr.Index != 1 {
		t.Errorf("error %v does not unwrap to the *RecordError of record 1", err)
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	// The record has no Sns.Timestamp, so latency runs to Now: 2 s.
	if first["msg"] != "job finished" || first["job_id"] != "a" || first["status"] != "failed" || first["attempt"] != float64(3) || first["latency_ms"] != float64(2000) {
		t.Errorf("first log line = %v, want job a finished with status failed, attempt 3, latency 2000 ms", first)
	}
	if len(lines) != 2 || !strings.Contains(lines[1], `"level":"ERROR"`) {
		t.Errorf("log lines = %q, want one job finished line and one error", lines)
	}
}
