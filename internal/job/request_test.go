package job

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func fixedID() string { return "generated-1" }

func TestDecodeJSONRequestRejectsHostileInput(t *testing.T) {
	manyJobs := "[" + strings.Repeat(`{"task":"checksum","input":"x"},`, MaxJobsPerRequest) + `{"task":"checksum","input":"x"}]`
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty body", ``, "request body is empty; send at least one job"},
		{"white space only", " \n\t", "request body is empty; send at least one job"},
		{"over-size body", `{"id":"a","task":"checksum","input":"` + strings.Repeat("x", MaxRequestBytes) + `"}`,
			"request body is 6000039 bytes, over the limit of 6000000 bytes; split it"},
		{"invalid UTF-8", "{\"id\":\"a\",\"task\":\"checksum\",\"input\":\"x\xffy\"}", "request body is not valid UTF-8 at byte 38"},
		{"NUL escape", `{"id":"a","task":"checksum","input":"x\u0000y"}`,
			`job 0 (id "a"): input contains U+0000 at byte 1, which SQS does not accept`},
		{"control character escape", `{"id":"a","task":"checksum","input":"bell\u0007"}`,
			`job 0 (id "a"): input contains U+0007 at byte 4, which SQS does not accept`},
		{"non-character escape", `{"id":"a","task":"checksum","input":"\uffff"}`,
			`job 0 (id "a"): input contains U+FFFF at byte 0, which SQS does not accept`},
		{"deeply nested arrays", strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
			"invalid JSON: nesting deeper than 8 levels at byte 8"},
		{"deeply nested input", `{"id":"a","task":"checksum","input":` + strings.Repeat(`{"a":`, 50) + `1` + strings.Repeat("}", 50) + `}`,
			"invalid JSON: nesting deeper than 8 levels at byte 71"},
		{"10,001 jobs", manyJobs, "request has 10001 jobs, over the limit of 10000; split it"},
		{"no jobs in array", `[]`, "request has no jobs; send at least one"},
		{"no jobs in wrapper", `{"jobs":[]}`, "request has no jobs; send at least one"},
		{"negative delay", `{"id":"a","task":"checksum","input":"x","delaySeconds":-1}`,
			`job 0 (id "a"): delaySeconds -1 is out of range 0-900`},
		{"delay over 900", `[{"id":"a","task":"checksum","input":"x"},{"id":"b","task":"checksum","input":"x","delaySeconds":901}]`,
			`job 1 (id "b"): delaySeconds 901 is out of range 0-900`},
		{"huge delay", `{"id":"a","task":"checksum","input":"x","delaySeconds":99999999999999999999999}`,
			`job 0 (id "a"): delaySeconds 99999999999999999999999 is out of range 0-900`},
		{"huge exponent delay", `{"id":"a","task":"checksum","input":"x","delaySeconds":1e30}`,
			`job 0 (id "a"): delaySeconds 1e30 is out of range 0-900`},
		{"fractional delay", `{"id":"a","task":"checksum","input":"x","delaySeconds":1.5}`,
			`job 0 (id "a"): delaySeconds 1.5 is not a whole number of seconds`},
		{"delay as string", `{"id":"a","task":"checksum","input":"x","delaySeconds":"5"}`,
			`job 0 (id "a"): delaySeconds "5" is not a number; give whole seconds 0-900`},
		{"empty id", `{"id":"","task":"checksum","input":"x"}`, "job 0: id is empty; omit it to have one generated"},
		{"empty task", `{"id":"a","task":"","input":"x"}`, `job 0 (id "a"): task is empty; set it to the name of a task`},
		{"missing task", `{"id":"a","input":"x"}`, `job 0 (id "a"): task is empty; set it to the name of a task`},
		{"empty input", `{"id":"a","task":"checksum","input":""}`, `job 0 (id "a"): input is empty; give the task an input`},
		{"id with space", `{"id":"a b","task":"checksum","input":"x"}`,
			`job 0 (id "a b"): id "a b" contains ' ' at byte 1; use letters, digits, '-', '_', '.' or ':'`},
		{"id too long", `{"id":"` + strings.Repeat("a", 129) + `","task":"checksum","input":"x"}`,
			`job 0 (id "` + strings.Repeat("a", 129) + `"): id is 129 bytes, over the limit of 128`},
		{"invalid correlation id", `{"id":"a","task":"checksum","input":"x","correlationId":"a/b"}`,
			`job 0 (id "a"): correlationId "a/b" contains '/' at byte 1; use letters, digits, '-', '_', '.' or ':'`},
		{"unknown field", `{"id":"a","task":"checksum","input":"x","colour":"red"}`,
			`job 0 (id "a"): unknown field "colour"; a job has id, task, input, delaySeconds, correlationId and enqueuedAt`},
		{"unknown field next to jobs", `{"jobs":[{"id":"a","task":"checksum","input":"x"}],"extra":1}`,
			`unknown field "extra" next to "jobs"; a request is {"jobs":[…]} only`},
		{"jobs not an array", `{"jobs":{"id":"a"}}`, `field "jobs" must be an array of jobs`},
		{"input not a string", `{"id":"a","task":"checksum","input":5}`,
			`job 0 (id "a"): field "input" must be a string, not a JSON number`},
		{"id not a string", `{"id":7,"task":"checksum","input":"x"}`, `job 0: field "id" must be a string, not a JSON number`},
		{"array element not an object", `[{"id":"a","task":"checksum","input":"x"},"b"]`,
			`job 1: invalid JSON: expected a job object, got a JSON string`},
		{"invalid enqueuedAt", `{"id":"a","task":"checksum","input":"x","enqueuedAt":"yesterday"}`,
			`job 0 (id "a"): enqueuedAt "yesterday" is not an RFC 3339 time such as 2026-12-04T16:00:00Z`},
		{"truncated object", `{"id":"a","task":"checksum","input":"x"`, "invalid JSON: truncated; send the whole document"},
		{"truncated array", `[{"id":"a","task":"checksum","input":"x"},`, "invalid JSON: truncated; send the whole document"},
		{"second document", `{"id":"a","task":"checksum","input":"x"} {"id":"b"}`,
			"invalid JSON at byte 42: invalid character '{' after top-level value"},
		{"string document", `"hello"`, `invalid JSON request: send a job object, an array of jobs or {"jobs":[…]}`},
		{"null document", `null`, `invalid JSON request: send a job object, an array of jobs or {"jobs":[…]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, err := DecodeJSONRequest([]byte(tt.body), fixedID)
			if err == nil {
				t.Fatalf("DecodeJSONRequest returned %d jobs and no error, want %q", len(jobs), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err.Error(), tt.want)
			}
			if jobs != nil {
				t.Errorf("jobs = %v, want nil with an error", jobs)
			}
		})
	}
}

func TestDecodeJSONRequestForms(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Job
	}{
		{"one job", `{"id":"a","task":"checksum","input":"x"}`,
			[]Job{{ID: "a", Task: "checksum", Input: "x"}}},
		{"array", `[{"id":"a","task":"checksum","input":"x"},{"task":"wordcount","input":"y z","delaySeconds":5}]`,
			[]Job{{ID: "a", Task: "checksum", Input: "x"}, {ID: "generated-1", Task: "wordcount", Input: "y z", DelaySeconds: 5}}},
		{"wrapper", `{"jobs":[{"id":"a","task":"sleep","input":"2s","correlationId":"c-1","delaySeconds":1e2}]}`,
			[]Job{{ID: "a", Task: "sleep", Input: "2s", CorrelationID: "c-1", DelaySeconds: 100}}},
		{"surrounding white space", " \n{\"id\":\"a\",\"task\":\"checksum\",\"input\":\"x\"}\n",
			[]Job{{ID: "a", Task: "checksum", Input: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, err := DecodeJSONRequest([]byte(tt.body), fixedID)
			if err != nil {
				t.Fatalf("DecodeJSONRequest: %v", err)
			}
			if fmt.Sprint(jobs) != fmt.Sprint(tt.want) {
				t.Errorf("jobs = %+v\nwant   %+v", jobs, tt.want)
			}
		})
	}
}

func TestDecodeJSONRequestAcceptsMaxJobs(t *testing.T) {
	body := "[" + strings.Repeat(`{"task":"checksum","input":"x"},`, MaxJobsPerRequest-1) + `{"task":"checksum","input":"x"}]`
	jobs, err := DecodeJSONRequest([]byte(body), fixedID)
	if err != nil {
		t.Fatalf("DecodeJSONRequest: %v", err)
	}
	if len(jobs) != MaxJobsPerRequest {
		t.Errorf("got %d jobs, want %d", len(jobs), MaxJobsPerRequest)
	}
}

func TestDecodeTextRequest(t *testing.T) {
	jobs, err := DecodeTextRequest([]byte("a checksum hello world\r\n\n  \nb wordcount one two\n"))
	if err != nil {
		t.Fatalf("DecodeTextRequest: %v", err)
	}
	want := []Job{{ID: "a", Task: "checksum", Input: "hello world"}, {ID: "b", Task: "wordcount", Input: "one two"}}
	if fmt.Sprint(jobs) != fmt.Sprint(want) {
		t.Errorf("jobs = %+v, want %+v", jobs, want)
	}
}

func TestDecodeTextRequestRejectsHostileInput(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", "", "request body is empty; send at least one job"},
		{"blank lines", "\n\r\n\n", "request body is empty; send at least one job"},
		{"two fields", "a checksum", `job 0: line 1: text job has 2 fields, expected 3: "ID TASK INPUT"`},
		{"double space", "a  checksum x", `job 0 (id "a"): line 1: task is empty; set it to the name of a task`},
		{"control character in id", "a checksum x\n\x01 b c",
			`job 1 (id "\x01"): line 2: id "\x01" contains '\x01' at byte 0; use letters, digits, '-', '_', '.' or ':'`},
		{"control character in input", "a checksum x\x00y", `job 0 (id "a"): line 1: input contains U+0000 at byte 1, which SQS does not accept`},
		{"invalid UTF-8", "a checksum \xc3\x28", "request body is not valid UTF-8 at byte 11"},
		{"10,001 jobs", strings.Repeat("a checksum x\n", MaxJobsPerRequest+1), "request has more than 10000 jobs; split it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTextRequest([]byte(tt.body))
			if err == nil {
				t.Fatalf("DecodeTextRequest returned no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err.Error(), tt.want)
			}
		})
	}
}

func TestJobErrorNamesJob(t *testing.T) {
	_, err := DecodeJSONRequest([]byte(`[{"id":"ok","task":"t","input":"x"},{"id":"bad","task":"t","input":""}]`), fixedID)
	var jobErr *JobError
	if !errors.As(err, &jobErr) {
		t.Fatalf("error %v is not a *JobError", err)
	}
	if jobErr.Index != 1 || jobErr.ID != "bad" {
		t.Errorf("JobError index %d id %q, want 1 \"bad\"", jobErr.Index, jobErr.ID)
	}
}
