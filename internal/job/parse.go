package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxJSONDepth bounds the nesting of arrays and objects in a JSON job or
// request. A request needs three levels ({"jobs":[{…}]}), so deeper input
// is hostile and is rejected before it is decoded.
const MaxJSONDepth = 8

// Parse decodes an SQS message body into a job and validates it. A body
// whose first non-space byte is '{' is read as JSON; any other body is read
// as the text form `ID TASK INPUT`, split on the first two spaces, so INPUT
// may contain spaces. Unknown JSON fields are rejected.
func Parse(body string) (Job, error) {
	trimmed := strings.TrimLeft(body, " \t\r\n")

	var j Job
	var err error
	if strings.HasPrefix(trimmed, "{") {
		j, err = parseJSONBody([]byte(body))
	} else {
		j, err = ParseText(body)
	}
	if err != nil {
		return Job{}, err
	}

	if err := Validate(j); err != nil {
		return Job{}, err
	}
	return j, nil
}

func parseJSONBody(body []byte) (Job, error) {
	if !utf8.Valid(body) {
		return Job{}, fmt.Errorf("body is not valid UTF-8 at byte %d", invalidUTF8Offset(body))
	}
	if err := checkDepth(body); err != nil {
		return Job{}, err
	}
	if !json.Valid(body) {
		var v any
		return Job{}, describeJSONError(json.Unmarshal(body, &v))
	}
	return decodeJob(body, func() string { return "" })
}

// ParseText decodes the text form `ID TASK INPUT`: three fields split on the
// first two spaces. A trailing "\n" or "\r\n" is not part of INPUT. It does
// not validate the fields.
func ParseText(line string) (Job, error) {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	fields := strings.SplitN(line, " ", 3)
	if len(fields) < 3 {
		return Job{}, fmt.Errorf("text job has %d fields, expected 3: \"ID TASK INPUT\"", len(fields))
	}
	return Job{ID: fields[0], Task: fields[1], Input: fields[2]}, nil
}

// wireJob is a job as producers send it. Pointers tell an absent field from
// an empty one, and DelaySeconds stays raw so that the error for 1e30 or
// "5" names the value.
type wireJob struct {
	ID            *string         `json:"id"`
	Task          string          `json:"task"`
	Input         string          `json:"input"`
	DelaySeconds  json.RawMessage `json:"delaySeconds"`
	CorrelationID string          `json:"correlationId"`
	EnqueuedAt    *time.Time      `json:"enqueuedAt"`
}

// decodeJob decodes one JSON job object strictly. An absent id gets newID().
func decodeJob(raw []byte, newID func() string) (Job, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var w wireJob
	if err := dec.Decode(&w); err != nil {
		return Job{}, describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Job{}, fmt.Errorf("invalid JSON: data after the job object at byte %d", dec.InputOffset())
	}

	j := Job{Task: w.Task, Input: w.Input, CorrelationID: w.CorrelationID}
	if w.ID != nil {
		j.ID = *w.ID
	} else {
		j.ID = newID()
	}
	if w.EnqueuedAt != nil {
		j.EnqueuedAt = *w.EnqueuedAt
	}
	delay, err := parseDelay(w.DelaySeconds)
	if err != nil {
		return Job{}, err
	}
	j.DelaySeconds = delay
	return j, nil
}

// parseDelay reads delaySeconds, which must be a JSON integer. Values far
// out of range are reported as written, not as an overflowed int.
func parseDelay(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	text := string(raw)
	if raw[0] == '"' || raw[0] == '[' || raw[0] == '{' || text == "true" || text == "false" {
		return 0, fmt.Errorf("delaySeconds %s is not a number; give whole seconds 0-%d", truncate(text, 40), MaxDelaySeconds)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("delaySeconds %s is not a number: %w", truncate(text, 40), err)
	}
	v, err := n.Int64()
	if err != nil {
		f, floatErr := n.Float64()
		switch {
		case floatErr == nil && f != math.Trunc(f):
			return 0, fmt.Errorf("delaySeconds %s is not a whole number of seconds", truncate(text, 40))
		case floatErr == nil && f >= 0 && f <= MaxDelaySeconds:
			v = int64(f) // An exponent form such as 1e2.
		default:
			return 0, fmt.Errorf("delaySeconds %s is out of range 0-%d", truncate(text, 40), MaxDelaySeconds)
		}
	}
	if v < 0 || v > MaxDelaySeconds {
		return 0, fmt.Errorf("delaySeconds %d is out of range 0-%d", v, MaxDelaySeconds)
	}
	return int(v), nil
}

// describeJSONError turns an encoding/json error into a message that names
// the problem in the producer's terms.
func describeJSONError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var timeErr *time.ParseError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		(err != nil && err.Error() == "unexpected end of JSON input"):
		return errors.New("invalid JSON: truncated; send the whole document")
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("invalid JSON at byte %d: %s", syntaxErr.Offset, strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.As(err, &timeErr):
		return fmt.Errorf("enqueuedAt %q is not an RFC 3339 time such as 2026-12-04T16:00:00Z", truncate(timeErr.Value, 40))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return fmt.Errorf("invalid JSON: expected %s, got a JSON %s", describeType(typeErr.Type.String()), typeErr.Value)
		}
		return fmt.Errorf("field %q must be %s, not a JSON %s", field, describeType(typeErr.Type.String()), typeErr.Value)
	case err != nil && strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("unknown field %s; a job has id, task, input, delaySeconds, correlationId and enqueuedAt",
			strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

func describeType(goType string) string {
	switch goType {
	case "string", "*string":
		return "a string"
	case "time.Time", "*time.Time":
		return "an RFC 3339 time string"
	case "job.wireJob":
		return "a job object"
	case "[]json.RawMessage":
		return "an array of jobs"
	}
	return goType
}

// checkDepth rejects JSON nested deeper than MaxJSONDepth. It scans bytes,
// skipping strings, so it runs in linear time whatever the input.
func checkDepth(data []byte) error {
	depth := 0
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > MaxJSONDepth {
				return fmt.Errorf("invalid JSON: nesting deeper than %d levels at byte %d", MaxJSONDepth, i)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
