package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits that a job and an enqueue request must respect. The SQS limits come
// from the SQS API reference (aws-sdk-go-v2 service/sqs v1.53.0).
const (
	// MaxMessageBytes is the SQS maximum message size, counting the body and
	// every message attribute's name, data type and value.
	MaxMessageBytes = 1 << 20
	// MaxBatchBytes is the SQS maximum total size of one SendMessageBatch.
	MaxBatchBytes = 1 << 20
	// MaxBatchEntries is the maximum number of entries of an SQS or SNS
	// batch call.
	MaxBatchEntries = 10
	// MaxDelaySeconds is the largest per-message delay SQS accepts.
	MaxDelaySeconds = 900
	// MaxJobsPerRequest bounds the jobs of one enqueue request.
	MaxJobsPerRequest = 10_000
	// MaxIDLength bounds a job ID and a correlation ID, in bytes.
	MaxIDLength = 128
	// MaxTaskLength bounds a task name, in bytes.
	MaxTaskLength = 64
)

// The SQS message attributes enqueue sets on every job.
const (
	AttrTask          = "task"
	AttrJobID         = "job_id"
	AttrCorrelationID = "correlation_id"
)

// Validate checks the fields of j. The ID, and the correlation ID when set,
// must be letters, digits, '-', '_', '.' or ':'. The task name and the input
// must not be empty, and every character must be one that SQS accepts. The
// delay must be within 0-900 seconds. Validate does not check that the task
// exists, because the task registry decides that.
func Validate(j Job) error {
	if err := validateID("id", j.ID); err != nil {
		return err
	}
	if j.Task == "" {
		return errors.New("task is empty; set it to the name of a task")
	}
	if len(j.Task) > MaxTaskLength {
		return fmt.Errorf("task is %d bytes, over the limit of %d", len(j.Task), MaxTaskLength)
	}
	if err := CheckSQSText("task", j.Task); err != nil {
		return err
	}
	if j.Input == "" {
		return errors.New("input is empty; give the task an input")
	}
	if err := CheckSQSText("input", j.Input); err != nil {
		return err
	}
	if j.DelaySeconds < 0 || j.DelaySeconds > MaxDelaySeconds {
		return fmt.Errorf("delaySeconds %d is out of range 0-%d", j.DelaySeconds, MaxDelaySeconds)
	}
	if j.CorrelationID != "" {
		if err := validateID("correlationId", j.CorrelationID); err != nil {
			return err
		}
	}
	return nil
}

func validateID(field, id string) error {
	if id == "" {
		return fmt.Errorf("%s is empty; omit it to have one generated", field)
	}
	if len(id) > MaxIDLength {
		return fmt.Errorf("%s is %d bytes, over the limit of %d", field, len(id), MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':' {
			continue
		}
		return fmt.Errorf("%s %q contains %q at byte %d; use letters, digits, '-', '_', '.' or ':'", field, id, rune(c), i)
	}
	return nil
}

// CheckSQSText reports the first character of s that SQS rejects in a
// message body or attribute value. SQS accepts valid UTF-8 of #x9, #xA, #xD,
// #x20-#xD7FF, #xE000-#xFFFD and #x10000-#x10FFFF. The field names s in the
// error.
func CheckSQSText(field, s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return fmt.Errorf("%s is not valid UTF-8 at byte %d", field, i)
			}
		}
		if !SQSAllowed(r) {
			return fmt.Errorf("%s contains %U at byte %d, which SQS does not accept", field, r, i)
		}
	}
	return nil
}

// SQSAllowed reports whether SQS accepts r in a message body or attribute
// value.
func SQSAllowed(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// Message returns the SQS message body (the job's JSON) and the message
// attributes of j, and checks that together they fit in MaxMessageBytes.
func Message(j Job) (body string, attrs map[string]string, err error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return "", nil, fmt.Errorf("encode job %q: %w", j.ID, err)
	}
	raw := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	attrs = map[string]string{AttrTask: j.Task, AttrJobID: j.ID}
	if j.CorrelationID != "" {
		attrs[AttrCorrelationID] = j.CorrelationID
	}

	size := MessageSize(string(raw), attrs)
	if size > MaxMessageBytes {
		return "", nil, fmt.Errorf("message is %d bytes with an input of %d bytes, over the SQS limit of %d bytes; shrink the input",
			size, len(j.Input), MaxMessageBytes)
	}
	return string(raw), attrs, nil
}

// MessageSize returns the size SQS counts for a message with String
// attributes: the body plus each attribute's name, data type and value.
func MessageSize(body string, attrs map[string]string) int {
	size := len(body)
	for name, value := range attrs {
		size += len(name) + len("String") + len(value)
	}
	return size
}
