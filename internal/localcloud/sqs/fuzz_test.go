package sqs

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeRequest sends arbitrary bodies to every action and checks that the service
// returns a well-formed JSON response for each, success or SQS error, and never panics.
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

// FuzzDecoderMatchesEncodingJSON decodes arbitrary bodies into each hot-path request with
// jsonDecoder and with encoding/json, and checks that they agree. Bodies with keys that
// differ from a field name only in case, or with a key twice in one object, are left out:
// there encoding/json's matching differs on purpose.
func FuzzDecoderMatchesEncodingJSON(f *testing.F) {
	f.Add(uint8(0), []byte(`{"QueueUrl":"u","MessageBody":"a\u00e9\ud83d\ude00","DelaySeconds":3,"MessageAttributes":{"k":{"DataType":"Binary","BinaryValue":"AAE="}}}`))
	f.Add(uint8(1), []byte(`{"QueueUrl":"u","Entries":[{"Id":"a","MessageBody":"x"},null,{"Id":"b","MessageAttributes":null}]}`))
	f.Add(uint8(2), []byte(`{"QueueUrl":"u","MaxNumberOfMessages":10,"MessageAttributeNames":["All"],"WaitTimeSeconds":null}`))
	f.Add(uint8(3), []byte(`{"QueueUrl":"u","ReceiptHandle":"h","Other":[1,{"x":[true,false,null,-1.5e3]}]}`))
	f.Add(uint8(4), []byte(`{"QueueUrl":"u","Entries":[{"Id":"a","ReceiptHandle":"\ud800x"}]}`))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		if hasAmbiguousKeys(body) {
			return
		}
		newInputs := func() (fastDecodable, any) {
			switch kind % 5 {
			case 0:
				return &sendMessageInput{}, &sendMessageInput{}
			case 1:
				return &sendMessageBatchInput{}, &sendMessageBatchInput{}
			case 2:
				return &receiveMessageInput{}, &receiveMessageInput{}
			case 3:
				return &deleteMessageInput{}, &deleteMessageInput{}
			default:
				return &deleteMessageBatchInput{}, &deleteMessageBatchInput{}
			}
		}
		fast, std := newInputs()
		fastErr := decodeFast(body, fast)
		stdErr := json.Unmarshal(body, std)
		if (fastErr == nil) != (stdErr == nil) {
			t.Fatalf("body %q: jsonDecoder error %v, encoding/json error %v", body, fastErr, stdErr)
		}
		if fastErr == nil && !sameDecoding(fast, std) {
			t.Fatalf("body %q:\njsonDecoder   %+v\nencoding/json %+v", body, fast, std)
		}
	})
}

// hasAmbiguousKeys reports whether body has, in one object, a key twice or a key that
// differs from another string of the body only in case. Bodies that are not JSON return
// false.
func hasAmbiguousKeys(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var strs []string
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // the next string token in this object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{object: true, keys: map[string]bool{}, expect: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.expect {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
				strs = append(strs, v)
				top.expect = false
				continue
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expect = true
		}
	}
	known := []string{"QueueUrl", "MessageBody", "DelaySeconds", "MessageAttributes", "MessageSystemAttributes",
		"MessageDeduplicationId", "MessageGroupId", "Entries", "Id", "ReceiptHandle", "AttributeNames",
		"MessageSystemAttributeNames", "MessageAttributeNames", "MaxNumberOfMessages", "VisibilityTimeout",
		"WaitTimeSeconds", "ReceiveRequestAttemptId", "DataType", "StringValue", "BinaryValue",
		"StringListValues", "BinaryListValues"}
	for _, s := range strs {
		for _, k := range known {
			if s != k && strings.EqualFold(s, k) {
				return true
			}
		}
	}
	return false
}

// sameDecoding reports whether the two decoded inputs are equal once the fast decoder's
// loneSurrogate is read as the U+FFFD that encoding/json writes for an unpaired surrogate.
func sameDecoding(fast, std any) bool {
	if reflect.DeepEqual(fast, std) {
		return true
	}
	fastJSON, errFast := json.Marshal(fast)
	stdJSON, errStd := json.Marshal(std)
	if errFast != nil || errStd != nil {
		return false
	}
	replacement := []byte(string(utf8.RuneError))
	normalize := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(string(loneSurrogate)), replacement) }
	return bytes.Equal(normalize(fastJSON), normalize(stdJSON))
}
