package snsmsg

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/relay-pipeline/relay/internal/job"
)

func TestEntryShape(t *testing.T) {
	r := job.Result{
		JobID: "job-1", Task: "checksum", Status: job.StatusSucceeded, Output: "abc", Attempt: 2, MessageID: "m-1",
		EnqueuedAt: time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 12, 4, 16, 0, 1, 0, time.UTC),
	}

	entry, size, err := Entry("3", r)
	if err != nil {
		t.Fatal(err)
	}

	if aws.ToString(entry.Id) != "3" || aws.ToString(entry.MessageStructure) != "json" {
		t.Errorf("Id %q MessageStructure %q, want 3 and json", aws.ToString(entry.Id), aws.ToString(entry.MessageStructure))
	}
	var message map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(entry.Message)), &message); err != nil {
		t.Fatalf("Message is not JSON: %v", err)
	}
	if len(message) != 1 {
		t.Errorf("Message keys = %v, want only default", message)
	}
	inner, ok := message["default"].(string)
	if !ok {
		t.Fatalf("default = %#v, want a string", message["default"])
	}
	wantInner := `{"jobId":"job-1","task":"checksum","status":"succeeded","output":"abc","attempt":2,"messageId":"m-1","enqueuedAt":"2026-12-04T16:00:00Z","finishedAt":"2026-12-04T16:00:01Z"}`
	if inner != wantInner {
		t.Errorf("default = %s\nwant      %s", inner, wantInner)
	}
	wantAttrs := map[string][2]string{"status": {"String", "succeeded"}, "task": {"String", "checksum"}, "job_id": {"String", "job-1"}, "attempt": {"Number", "2"}}
	for name, want := range wantAttrs {
		v := entry.MessageAttributes[name]
		if aws.ToString(v.DataType) != want[0] || aws.ToString(v.StringValue) != want[1] {
			t.Errorf("attribute %s = %s %s, want %s %s", name, aws.ToString(v.DataType), aws.ToString(v.StringValue), want[0], want[1])
		}
	}
	wantSize := len(aws.ToString(entry.Message)) + len("status"+"String"+"succeeded") + len("task"+"String"+"checksum") +
		len("job_id"+"String"+"job-1") + len("attempt"+"Number"+"2")
	if size != wantSize {
		t.Errorf("size = %d, want %d", size, wantSize)
	}

	decoded, err := DecodeResult(inner)
	if err != nil || decoded != r {
		t.Errorf("DecodeResult = %+v, %v; want %+v", decoded, err, r)
	}
}

func TestDecodeResultRejects(t *testing.T) {
	tests := []struct {
		name    string
		message string
		want    string
	}{
		{"not JSON", "Hello from SNS!", "decode result: invalid character 'H' looking for beginning of value"},
		{"no job id", `{"task":"checksum","status":"succeeded"}`, "decode result: jobId is missing"},
		{"no task", `{"jobId":"a","status":"succeeded"}`, `decode result of job "a": task is missing`},
		{"bad status", `{"jobId":"a","task":"t","status":"done"}`, `decode result of job "a": status "done" is not succeeded or failed`},
		{"wrapped message", `{"default":"{\"jobId\":\"a\"}"}`, "decode result: jobId is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeResult(tt.message)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
