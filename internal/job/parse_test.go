package job

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	enqueued := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		body string
		want Job
	}{
		{"JSON", `{"id":"a","task":"checksum","input":"x","correlationId":"c","enqueuedAt":"2026-12-04T16:00:00Z"}`,
			Job{ID: "a", Task: "checksum", Input: "x", CorrelationID: "c", EnqueuedAt: enqueued}},
		{"JSON after white space", "\n {\"id\":\"a\",\"task\":\"checksum\",\"input\":\"x\"}",
			Job{ID: "a", Task: "checksum", Input: "x"}},
		{"text", "a wordcount the quick brown fox", Job{ID: "a", Task: "wordcount", Input: "the quick brown fox"}},
		{"text with trailing CRLF", "a wordcount x y\r\n", Job{ID: "a", Task: "wordcount", Input: "x y"}},
		{"text input with braces", "a checksum {not json}", Job{ID: "a", Task: "checksum", Input: "{not json}"}},
		{"text input with newline", "a wordcount one\ntwo", Job{ID: "a", Task: "wordcount", Input: "one\ntwo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", "", `text job has 1 fields, expected 3: "ID TASK INPUT"`},
		{"two fields", "a checksum", `text job has 2 fields, expected 3: "ID TASK INPUT"`},
		{"truncated JSON", `{"id":"a","task":"checksum","input":`, "invalid JSON: truncated; send the whole document"},
		{"trailing data", `{"id":"a","task":"checksum","input":"x"}x`, "invalid JSON at byte 41: invalid character 'x' after top-level value"},
		{"unknown field", `{"id":"a","task":"checksum","input":"x","extra":true}`,
			`unknown field "extra"; a job has id, task, input, delaySeconds, correlationId and enqueuedAt`},
		{"missing id", `{"task":"checksum","input":"x"}`, "id is empty; omit it to have one generated"},
		{"nested", `{"id":"a","task":"checksum","input":"x","delaySeconds":` + strings.Repeat("[", 9) + strings.Repeat("]", 9) + `}`,
			"invalid JSON: nesting deeper than 8 levels at byte 62"},
		{"invalid UTF-8 JSON", "{\"id\":\"a\",\"task\":\"t\",\"input\":\"\xff\"}", "body is not valid UTF-8 at byte 30"},
		{"invalid UTF-8 text", "a checksum \xff", "input is not valid UTF-8 at byte 0"},
		{"delay out of range", `{"id":"a","task":"checksum","input":"x","delaySeconds":1000}`, "delaySeconds 1000 is out of range 0-900"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.body)
			if err == nil {
				t.Fatalf("Parse returned no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err.Error(), tt.want)
			}
		})
	}
}

func TestMessageRejectsOverSizeJob(t *testing.T) {
	j := Job{ID: "big", Task: "checksum", Input: strings.Repeat("x", MaxMessageBytes), EnqueuedAt: time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)}
	_, _, err := Message(j)
	want := "message is 1048686 bytes with an input of 1048576 bytes, over the SQS limit of 1048576 bytes; shrink the input"
	if err == nil || err.Error() != want {
		t.Errorf("Message error = %v, want %q", err, want)
	}
}

func TestMessageFitsLimitExactly(t *testing.T) {
	j := Job{ID: "big", Task: "checksum", Input: "x"}
	body, attrs, err := Message(j)
	if err != nil {
		t.Fatal(err)
	}
	overhead := MessageSize(body, attrs) - 1
	j.Input = strings.Repeat("x", MaxMessageBytes-overhead)

	body, attrs, err = Message(j)
	if err != nil {
		t.Fatalf("Message of a job of exactly %d bytes: %v", MaxMessageBytes, err)
	}
	if got := MessageSize(body, attrs); got != MaxMessageBytes {
		t.Errorf("MessageSize = %d, want %d", got, MaxMessageBytes)
	}
	if attrs[AttrTask] != "checksum" || attrs[AttrJobID] != "big" {
		t.Errorf("attributes = %v, want task and job_id", attrs)
	}
	if _, ok := attrs[AttrCorrelationID]; ok {
		t.Errorf("attributes = %v, want no correlation_id for a job without one", attrs)
	}
}

func TestMessageKeepsHTMLCharacters(t *testing.T) {
	body, _, err := Message(Job{ID: "a", Task: "checksum", Input: "<a&b>"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"a","task":"checksum","input":"<a&b>"}`
	if body != want {
		t.Errorf("body = %s, want %s", body, want)
	}
}

func TestNewIDIsUUIDv4(t *testing.T) {
	a, b := NewID(), NewID()
	if a == b {
		t.Errorf("two IDs are equal: %s", a)
	}
	if len(a) != 36 || a[14] != '4' || strings.Count(a, "-") != 4 {
		t.Errorf("ID %q is not a version 4 UUID", a)
	}
	if err := Validate(Job{ID: a, Task: "t", Input: "x"}); err != nil {
		t.Errorf("generated ID fails validation: %v", err)
	}
}
