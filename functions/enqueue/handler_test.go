package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/relay-pipeline/relay/internal/job"
)

func invokeFile(t *testing.T, h *Handler, name string) []byte {
	t.Helper()
	payload, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := lambda.NewHandler(h.Invoke).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke %s: %v", name, err)
	}
	return raw
}

func decodeURLResponse(t *testing.T, raw []byte) (events.LambdaFunctionURLResponse, job.EnqueueResponse) {
	t.Helper()
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	var body job.EnqueueResponse
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("decode body %s: %v", resp.Body, err)
	}
	return resp, body
}

func TestReplayFunctionURLJSONEvent(t *testing.T) {
	queue := &fakeQueue{}
	h := newTestHandler(t, queue)

	resp, body := decodeURLResponse(t, invokeFile(t, h, "function-url-json.json"))

	if resp.StatusCode != 202 {
		t.Fatalf("status = %d, want 202; body %s", resp.StatusCode, resp.Body)
	}
	wantIDs := []string{"job-url-1", "generated-1", "job-url-3"}
	if body.Queued != 3 || body.Failed != 0 || len(body.Jobs) != 3 {
		t.Fatalf("response = %+v, want 3 queued", body)
	}
	for i, want := range wantIDs {
		if body.Jobs[i].ID != want || body.Jobs[i].MessageID != "msg-"+want {
			t.Errorf("job %d = %+v, want id %s queued as msg-%s", i, body.Jobs[i], want, want)
		}
	}
	if len(queue.queued) != 3 {
		t.Fatalf("queued %d messages, want 3", len(queue.queued))
	}
	for _, e := range queue.queued {
		if got := aws.ToString(e.MessageAttributes["correlation_id"].StringValue); got != "req-7f3a" {
			t.Errorf("correlation_id = %q, want the header's req-7f3a", got)
		}
	}
	if got := queue.queued[2].DelaySeconds; got != 30 {
		t.Errorf("DelaySeconds of job-url-3 = %d, want 30", got)
	}
}

func TestReplayFunctionURLTextEvent(t *testing.T) {
	queue := &fakeQueue{}
	h := newTestHandler(t, queue)

	resp, body := decodeURLResponse(t, invokeFile(t, h, "function-url-text.json"))

	if resp.StatusCode != 202 {
		t.Fatalf("status = %d, want 202; body %s", resp.StatusCode, resp.Body)
	}
	if body.Queued != 3 {
		t.Fatalf("queued = %d, want 3", body.Queued)
	}
	var j job.Job
	if err := json.Unmarshal([]byte(aws.ToString(queue.queued[0].MessageBody)), &j); err != nil {
		t.Fatal(err)
	}
	if j.ID != "job-txt-1" || j.Task != "checksum" || j.Input != "hello, relay" {
		t.Errorf("first job = %+v, want job-txt-1 checksum \"hello, relay\"", j)
	}
}

func TestReplayDirectInvokeEvent(t *testing.T) {
	queue := &fakeQueue{}
	h := newTestHandler(t, queue)

	var body job.EnqueueResponse
	if err := json.Unmarshal(invokeFile(t, h, "direct-invoke.json"), &body); err != nil {
		t.Fatal(err)
	}

	if body.Queued != 2 || body.Failed != 0 {
		t.Fatalf("response = %+v, want 2 queued", body)
	}
	if got := aws.ToString(queue.queued[0].MessageAttributes["correlation_id"].StringValue); got != "nightly-2026-12-04" {
		t.Errorf("correlation_id of job-direct-1 = %q, want its own nightly-2026-12-04", got)
	}
	if got := aws.ToString(queue.queued[1].MessageAttributes["correlation_id"].StringValue); got != "generated-1" {
		t.Errorf("correlation_id of job-direct-2 = %q, want the generated generated-1", got)
	}
}
