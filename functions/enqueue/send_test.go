package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/relay-pipeline/relay/internal/job"
)

func jobsBody(n int, prefix string) string {
	var b strings.Builder
	b.WriteString(`{"jobs":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"%s-%d","task":"checksum","input":"x"}`, prefix, i)
	}
	b.WriteString("]}")
	return b.String()
}

func TestSendRetriesRetryableEntry(t *testing.T) {
	queue := &fakeQueue{faults: map[string]*entryFault{"j-1": {Times: 1}}}
	h := newTestHandler(t, queue)

	resp, err := h.EnqueueJSON(context.Background(), []byte(jobsBody(3, "j")), "")
	if err != nil {
		t.Fatal(err)
	}

	if resp.Queued != 3 || resp.Failed != 0 {
		t.Fatalf("response = %+v, want 3 queued after one retry", resp)
	}
	if len(queue.calls) != 2 {
		t.Fatalf("SendMessageBatch calls = %d, want 2", len(queue.calls))
	}
	if n := len(queue.calls[1].Entries); n != 1 {
		t.Errorf("retry sent %d entries, want only the failed one", n)
	}
	if resp.Jobs[1].MessageID != "msg-j-1" {
		t.Errorf("job j-1 = %+v, want queued as msg-j-1", resp.Jobs[1])
	}
}

func TestSendGivesUpOnSenderFault(t *testing.T) {
	queue := &fakeQueue{faults: map[string]*entryFault{"j-2": {Times: -1, SenderFault: true}}}
	h := newTestHandler(t, queue)

	resp, err := h.EnqueueJSON(context.Background(), []byte(jobsBody(3, "j")), "")
	if err != nil {
		t.Fatal(err)
	}

	if len(queue.calls) != 1 {
		t.Errorf("SendMessageBatch calls = %d, want 1: a sender fault is not retried", len(queue.calls))
	}
	if resp.Queued != 2 || resp.Failed != 1 {
		t.Fatalf("response = %+v, want 2 queued and 1 failed", resp)
	}
	want := job.EnqueueOutcome{ID: "j-2", Status: job.OutcomeFailed, Error: "SendMessageBatch entry failed: InvalidParameterValue: injected"}
	if resp.Jobs[2] != want {
		t.Errorf("outcome = %+v, want %+v", resp.Jobs[2], want)
	}
}

func TestSendStopsAfterMaxAttempts(t *testing.T) {
	queue := &fakeQueue{faults: map[string]*entryFault{"j-0": {Times: -1}}}
	h := newTestHandler(t, queue)

	resp, err := h.EnqueueJSON(context.Background(), []byte(jobsBody(1, "j")), "")
	if err != nil {
		t.Fatal(err)
	}

	if len(queue.calls) != 3 {
		t.Errorf("SendMessageBatch calls = %d, want 3 attempts", len(queue.calls))
	}
	if resp.Failed != 1 || resp.Jobs[0].Error != "SendMessageBatch entry failed: InternalError: injected" {
		t.Errorf("response = %+v, want the job failed with the last error", resp)
	}
}

func TestSendRetriesRetryableCallError(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down", Fault: smithy.FaultServer}
	queue := &fakeQueue{callErrs: []error{throttled}}
	h := newTestHandler(t, queue)

	resp, err := h.EnqueueJSON(context.Background(), []byte(jobsBody(2, "j")), "")
	if err != nil {
		t.Fatal(err)
	}

	if len(queue.calls) != 2 || resp.Queued != 2 {
		t.Errorf("calls = %d, response = %+v; want 2 calls and 2 queued", len(queue.calls), resp)
	}
}

func TestSendDoesNotRetryClientCallError(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "not allowed", Fault: smithy.FaultClient}
	queue := &fakeQueue{callErrs: []error{denied}}
	h := newTestHandler(t, queue)

	resp, err := h.EnqueueJSON(context.Background(), []byte(jobsBody(2, "j")), "")
	if err != nil {
		t.Fatal(err)
	}

	if len(queue.calls) != 1 {
		t.Errorf("calls = %d, want 1", len(queue.calls))
	}
	want := "SendMessageBatch failed: api error AccessDenied: not allowed"
	if resp.Failed != 2 || resp.Jobs[0].Error != want {
		t.Errorf("response = %+v, want both failed with %q", resp, want)
	}
}

func TestSendChunksByCountAndSize(t *testing.T) {
	queue := &fakeQueue{}
	h := newTestHandler(t, queue)

	resp, err := h.EnqueueJSON(context.Background(), []byte(jobsBody(25, "j")), "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Queued != 25 || len(queue.calls) != 3 {
		t.Errorf("queued %d in %d calls, want 25 in 3", resp.Queued, len(queue.calls))
	}

	// Three inputs of 400 KiB: two fit in 1 MiB, the third needs a second call.
	queue = &fakeQueue{}
	h = newTestHandler(t, queue)
	input := strings.Repeat("y", 400*1024)
	body := fmt.Sprintf(`[{"id":"a","task":"checksum","input":"%s"},{"id":"b","task":"checksum","input":"%s"},{"id":"c","task":"checksum","input":"%s"}]`, input, input, input)
	resp, err = h.EnqueueJSON(context.Background(), []byte(body), "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Queued != 3 || len(queue.calls) != 2 {
		t.Errorf("queued %d in %d calls, want 3 in 2", resp.Queued, len(queue.calls))
	}
	for i, call := range queue.calls {
		size := 0
		for _, e := range call.Entries {
			size += len(*e.MessageBody)
		}
		if size > job.MaxBatchBytes {
			t.Errorf("call %d carries %d bytes, over %d", i, size, job.MaxBatchBytes)
		}
	}
}

func urlRequest(method, path, contentType, body string) events.LambdaFunctionURLRequest {
	req := events.LambdaFunctionURLRequest{
		Version: "2.0",
		RawPath: path,
		Headers: map[string]string{},
		Body:    body,
	}
	if contentType != "" {
		req.Headers["content-type"] = contentType
	}
	req.RequestContext.HTTP.Method = method
	req.RequestContext.HTTP.Path = path
	req.RequestContext.RequestID = "req-1"
	return req
}

func errorMessage(t *testing.T, resp events.LambdaFunctionURLResponse) string {
	t.Helper()
	var body errorBody
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("error body %q: %v", resp.Body, err)
	}
	return body.Error
}

func TestFunctionURLRejectsBadRequests(t *testing.T) {
	valid := `{"id":"a","task":"checksum","input":"x"}`
	tests := []struct {
		name       string
		req        events.LambdaFunctionURLRequest
		wantStatus int
		wantError  string
	}{
		{"other path", urlRequest("POST", "/", "application/json", valid), 404, `no resource at "/"; POST jobs to /jobs`},
		{"other method", urlRequest("GET", "/jobs", "", ""), 405, "method GET is not allowed on /jobs; use POST"},
		{"other content type", urlRequest("POST", "/jobs", "application/xml", "<job/>"), 415,
			`content type "application/xml" is not supported; use application/json or text/plain`},
		{"unknown task", urlRequest("POST", "/jobs", "application/json", `[{"id":"a","task":"checksum","input":"x"},{"id":"b","task":"teleport","input":"x"}]`), 400,
			`job 1 (id "b"): unknown task "teleport"; known tasks: checksum, flaky, sleep, verify, wordcount`},
		{"truncated JSON", urlRequest("POST", "/jobs", "application/json", `{"id":"a"`), 400, "invalid JSON: truncated; send the whole document"},
		{"bad text line", urlRequest("POST", "/jobs", "text/plain", "a checksum x\nb checksum"), 400,
			`job 1: line 2: text job has 2 fields, expected 3: "ID TASK INPUT"`},
		{"bad base64", func() events.LambdaFunctionURLRequest {
			r := urlRequest("POST", "/jobs", "application/json", "%%%")
			r.IsBase64Encoded = true
			return r
		}(), 400, "body is marked base64 but does not decode: illegal base64 data at input byte 0"},
		{"bad correlation header", func() events.LambdaFunctionURLRequest {
			r := urlRequest("POST", "/jobs", "application/json", valid)
			r.Headers["x-correlation-id"] = "two words"
			return r
		}(), 400, `header x-correlation-id: correlationId "two words" contains ' ' at byte 3; use letters, digits, '-', '_', '.' or ':'`},
		{"over-size job", urlRequest("POST", "/jobs", "text/plain", "a checksum "+strings.Repeat("z", job.MaxMessageBytes)), 400,
			`job 0 (id "a"): message is 1048743 bytes with an input of 1048576 bytes, over the SQS limit of 1048576 bytes; shrink the input`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := &fakeQueue{}
			h := newTestHandler(t, queue)

			resp := h.ServeFunctionURL(context.Background(), tt.req)

			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := errorMessage(t, resp); got != tt.wantError {
				t.Errorf("error = %q\nwant    %q", got, tt.wantError)
			}
			if len(queue.calls) != 0 {
				t.Errorf("SendMessageBatch called %d times, want none for a rejected request", len(queue.calls))
			}
		})
	}
}

func TestFunctionURLMethodNotAllowedSetsAllow(t *testing.T) {
	h := newTestHandler(t, &fakeQueue{})
	resp := h.ServeFunctionURL(context.Background(), urlRequest("DELETE", "/jobs", "", ""))
	if resp.Headers["Allow"] != "POST" {
		t.Errorf("Allow = %q, want POST", resp.Headers["Allow"])
	}
}

func TestFunctionURLBase64TextBody(t *testing.T) {
	queue := &fakeQueue{}
	h := newTestHandler(t, queue)
	req := urlRequest("POST", "/jobs", "text/plain; charset=utf-8", base64.StdEncoding.EncodeToString([]byte("b64-1 wordcount one two\n")))
	req.IsBase64Encoded = true

	resp := h.ServeFunctionURL(context.Background(), req)

	if resp.StatusCode != 202 || len(queue.queued) != 1 {
		t.Fatalf("status %d with %d queued, want 202 with 1; body %s", resp.StatusCode, len(queue.queued), resp.Body)
	}
}

func TestFunctionURLPartialFailureIs503(t *testing.T) {
	queue := &fakeQueue{faults: map[string]*entryFault{"j-1": {Times: -1}}}
	h := newTestHandler(t, queue)

	resp := h.ServeFunctionURL(context.Background(), urlRequest("POST", "/jobs", "", jobsBody(2, "j")))

	if resp.StatusCode != 503 || resp.Headers["Retry-After"] != RetryAfterSeconds {
		t.Errorf("status %d Retry-After %q, want 503 and %s", resp.StatusCode, resp.Headers["Retry-After"], RetryAfterSeconds)
	}
	var body job.EnqueueResponse
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	if body.Queued != 1 || body.Failed != 1 || body.Jobs[0].Status != job.OutcomeQueued || body.Jobs[1].Status != job.OutcomeFailed {
		t.Errorf("body = %+v, want j-0 queued and j-1 failed", body)
	}
}

func TestDirectInvokeBadInputIsError(t *testing.T) {
	queue := &fakeQueue{}
	h := newTestHandler(t, queue)

	_, err := h.Invoke(context.Background(), json.RawMessage(`{"jobs":[{"id":"a","task":"checksum","input":"x","delaySeconds":-5}]}`))

	var bad *BadRequestError
	if !errors.As(err, &bad) {
		t.Fatalf("error = %v, want a *BadRequestError", err)
	}
	if want := `job 0 (id "a"): delaySeconds -5 is out of range 0-900`; err.Error() != want {
		t.Errorf("error = %q, want %q", err.Error(), want)
	}
	if len(queue.calls) != 0 {
		t.Errorf("SendMessageBatch called %d times, want none", len(queue.calls))
	}
}

func TestDirectInvokeReportsPartialFailure(t *testing.T) {
	queue := &fakeQueue{faults: map[string]*entryFault{"j-0": {Times: -1, SenderFault: true}}}
	h := newTestHandler(t, queue)

	out, err := h.Invoke(context.Background(), json.RawMessage(jobsBody(2, "j")))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}

	resp, ok := out.(job.EnqueueResponse)
	if !ok {
		t.Fatalf("response type %T, want job.EnqueueResponse", out)
	}
	if resp.Queued != 1 || resp.Failed != 1 {
		t.Errorf("response = %+v, want 1 queued and 1 failed", resp)
	}
}

func TestCorrelationIDPrecedence(t *testing.T) {
	queue := &fakeQueue{}
	h := newTestHandler(t, queue)
	body := `[{"id":"a","task":"checksum","input":"x","correlationId":"own"},{"id":"b","task":"checksum","input":"x"},{"id":"c","task":"checksum","input":"x"}]`

	if _, err := h.EnqueueJSON(context.Background(), []byte(body), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.EnqueueJSON(context.Background(), []byte(body), "from-header"); err != nil {
		t.Fatal(err)
	}

	want := []string{"own", "generated-1", "generated-1", "from-header", "from-header", "from-header"}
	for i, e := range queue.queued {
		if got := *e.MessageAttributes["correlation_id"].StringValue; got != want[i] {
			t.Errorf("message %d correlation_id = %q, want %q", i, got, want[i])
		}
	}
}
