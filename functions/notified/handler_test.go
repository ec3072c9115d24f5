package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"

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
