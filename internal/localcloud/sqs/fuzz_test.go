package sqs

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"
)

// FuzzDecodeRequest sends arbitrary bodies to every action and checks that the service
// answers each with a well-formed JSON response, success or SQS error, and never panics.
// The seed corpus is in testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	actions := make([]string, 0, len(handlers))
	for action := range handlers {
		actions = append(actions, action)
	}
	sort.Strings(actions)

	f.Add("SendMessage", []byte(`{"QueueUrl":"http://127.0.0.1/000000000000/jobs","MessageBody":"x"}`))
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		if _, ok := handlers[action]; !ok {
			action = actions[len(action)%len(actions)]
		}
		svc := NewService(Config{BaseURL: "http://127.0.0.1"})
		defer svc.Close()
		for _, setup := range []string{
			`{"QueueName":"dlq"}`,
			`{"QueueName":"jobs","Attributes":{"RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":1}"}}`,
		} {
			if rec := serve(svc, "CreateQueue", []byte(setup)); rec.Code != http.StatusOK {
				t.Fatalf("setup CreateQueue: %d %s", rec.Code, rec.Body)
			}
		}
		serve(svc, "SendMessage", []byte(`{"QueueUrl":"http://127.0.0.1/000000000000/jobs","MessageBody":"seed"}`))

		rec := serve(svc, action, body)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
		default:
			t.Fatalf("%s: status %d, body %s", action, rec.Code, rec.Body)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: response is not JSON: %v: %q", action, err, rec.Body)
		}
		if rec.Code != http.StatusOK {
			if typ, _ := out["__type"].(string); typ == "" || rec.Header().Get("X-Amzn-Query-Error") == "" {
				t.Fatalf("%s: error without __type or x-amzn-query-error: %s", action, rec.Body)
			}
		}
	})
}

// serve runs one request through svc in process. Long polls end after 10 ms.
func serve(svc *Service, action string, body []byte) *httptest.ResponseRecorder {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	rec := httptest.NewRecorder()
	svc.ServeHTTP(rec, r)
	return rec
}
