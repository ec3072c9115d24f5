package sqs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// post sends a raw JSON 1.0 request for action to the test server.
func post(t *testing.T, env *testEnv, action string, body io.Reader, contentLength int64) (*http.Response, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.server.URL+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = contentLength
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	req.Header.Set("Content-Type", jsonContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", action, err)
	}
	defer resp.Body.Close()
	var out map[string]string
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp, out
}

func TestErrorShape(t *testing.T) {
	env := newTestEnv(t, false)
	body := `{"QueueUrl":"http://127.0.0.1/000000000000/missing","MessageBody":"x"}`
	resp, out := post(t, env, "SendMessage", strings.NewReader(body), int64(len(body)))
	if resp.StatusCode != 400 {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); got != jsonContentType {
		t.Errorf("Content-Type = %q", got)
	}
	if got := resp.Header.Get("X-Amzn-Query-Error"); got != "AWS.SimpleQueueService.NonExistentQueue;Sender" {
		t.Errorf("x-amzn-query-error = %q", got)
	}
	if out["__type"] != "com.amazonaws.sqs#QueueDoesNotExist" || out["message"] == "" {
		t.Errorf("body = %v", out)
	}
}

func TestRequestErrors(t *testing.T) {
	env := newTestEnv(t, false)
	cases := []struct {
		name, action, body string
		status             int
		typ, queryCode     string
	}{
		{"unknown action", "FlyAway", `{}`, 400, "com.amazonaws.sqs#InvalidAction", "InvalidAction;Sender"},
		{"malformed JSON", "ListQueues", `{"QueueNamePrefix":`, 400, "com.amazonaws.sqs#SerializationException", "SerializationException;Sender"},
		{"wrong JSON type", "ReceiveMessage", `{"QueueUrl":"u","MaxNumberOfMessages":"ten"}`, 400, "com.amazonaws.sqs#SerializationException", "SerializationException;Sender"},
		{"missing queue URL", "SendMessage", `{"MessageBody":"x"}`, 400, "com.amazonaws.sqs#MissingParameter", "MissingParameter;Sender"},
		{"queue URL without path", "SendMessage", `{"QueueUrl":"jobs","MessageBody":"x"}`, 404, "com.amazonaws.sqs#InvalidAddress", "InvalidAddress;Sender"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := post(t, env, tc.action, strings.NewReader(tc.body), int64(len(tc.body)))
			if resp.StatusCode != tc.status || out["__type"] != tc.typ || resp.Header.Get("X-Amzn-Query-Error") != tc.queryCode {
				t.Fatalf("got %d %v %q, want %d %s %s", resp.StatusCode, out, resp.Header.Get("X-Amzn-Query-Error"), tc.status, tc.typ, tc.queryCode)
			}
		})
	}
}

func TestRequestBodyBound(t *testing.T) {
	env := newTestEnv(t, false)
	big := bytes.Repeat([]byte("a"), maxRequestBytes+1)

	// With a Content-Length above the bound, the body is not read at all.
	resp, out := post(t, env, "SendMessageBatch", bytes.NewReader(big), int64(len(big)))
	if resp.StatusCode != 400 || out["__type"] != "com.amazonaws.sqs#BatchRequestTooLong" {
		t.Errorf("SendMessageBatch over the bound: %d %v", resp.StatusCode, out)
	}
	// Without one (chunked), reading stops at the bound.
	resp, out = post(t, env, "SendMessage", io.MultiReader(bytes.NewReader(big)), -1)
	if resp.StatusCode != 400 || out["__type"] != "com.amazonaws.sqs#InvalidParameterValue" {
		t.Errorf("chunked SendMessage over the bound: %d %v", resp.StatusCode, out)
	}
}

func TestWriteError(t *testing.T) {
	cases := []struct {
		status          int
		code            string
		wantStatus      int
		wantType, query string
	}{
		{0, "QueueDoesNotExist", 400, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{0, "AWS.SimpleQueueService.NonExistentQueue", 400, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{0, "ReceiptHandleIsInvalid", 404, "com.amazonaws.sqs#ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid;Sender"},
		{500, "InternalError", 500, "com.amazonaws.sqs#InternalError", "InternalError;Receiver"},
		{503, "ServiceUnavailable", 503, "com.amazonaws.sqs#ServiceUnavailable", "ServiceUnavailable;Receiver"},
		{403, "RequestThrottled", 403, "com.amazonaws.sqs#RequestThrottled", "RequestThrottled;Sender"},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		WriteError(rec, tc.status, tc.code, "boom")
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: body %q: %v", tc.code, rec.Body.String(), err)
		}
		if rec.Code != tc.wantStatus || body["__type"] != tc.wantType || body["message"] != "boom" || rec.Header().Get("X-Amzn-Query-Error") != tc.query {
			t.Errorf("WriteError(%d, %s) = %d %v %q", tc.status, tc.code, rec.Code, body, rec.Header().Get("X-Amzn-Query-Error"))
		}
	}
}

func TestIsRequestAndAction(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if IsRequest(r) || Action(r) != "" {
		t.Fatalf("request without X-Amz-Target: IsRequest %v, Action %q", IsRequest(r), Action(r))
	}
	r.Header.Set("X-Amz-Target", "AmazonSQS.SendMessageBatch")
	if !IsRequest(r) || Action(r) != "SendMessageBatch" {
		t.Fatalf("SQS request: IsRequest %v, Action %q", IsRequest(r), Action(r))
	}
	r.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
	if IsRequest(r) {
		t.Fatalf("DynamoDB request taken for SQS")
	}
}

// failingWriter is a ResponseWriter whose client has gone away.
type failingWriter struct{ header http.Header }

func (w *failingWriter) Header() http.Header       { return w.header }
func (w *failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset by peer") }
func (w *failingWriter) WriteHeader(int)           {}

func TestUndeliveredReceiveIsReturned(t *testing.T) {
	env := newTestEnv(t, false)
	url := env.createQueue(t, "jobs", nil)
	env.send(t, url, "precious")

	body := `{"QueueUrl":"` + url + `","MaxNumberOfMessages":10}`
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", "AmazonSQS.ReceiveMessage")
	env.svc.ServeHTTP(&failingWriter{header: http.Header{}}, r)

	msgs := env.receiveAll(t, url)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "precious" {
		t.Fatalf("after an undelivered receive: %d messages, want the message visible again", len(msgs))
	}
	if got := msgs[0].Attributes["ApproximateReceiveCount"]; got != "1" {
		t.Fatalf("ApproximateReceiveCount = %s, want 1: the undelivered receive does not count", got)
	}
}
