package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxRequestBytes bounds an enqueue request body. It is Lambda's limit on a
// synchronous invocation's payload (6 MB), which also bounds a Function URL
// request, so a larger body cannot reach the handler on AWS.
const MaxRequestBytes = 6 * 1000 * 1000

// JobError is an invalid job of a request: Index is its 0-based position
// among the request's jobs and ID its id, when one was read.
type JobError struct {
	Index int
	ID    string
	Err   error
}

// Error names the job by index and id, then the problem.
func (e *JobError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("job %d: %v", e.Index, e.Err)
	}
	return fmt.Sprintf("job %d (id %q): %v", e.Index, truncate(e.ID, MaxIDLength+8), e.Err)
}

// Unwrap returns the underlying problem.
func (e *JobError) Unwrap() error { return e.Err }

// DecodeJSONRequest decodes an enqueue request body in JSON: one job object,
// an array of jobs, or {"jobs":[…]}. A job without an id gets newID(). Every
// job is validated with Validate; the first invalid job is returned as a
// *JobError and no job is returned then.
func DecodeJSONRequest(body []byte, newID func() string) ([]Job, error) {
	if err := checkRequestBody(body); err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(body)
	if err := checkDepth(trimmed); err != nil {
		return nil, err
	}
	var top any
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, describeJSONError(err)
	}

	var raws []json.RawMessage
	switch top.(type) {
	case []any:
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, describeJSONError(err)
		}
	case map[string]any:
		list, err := unwrapJobs(trimmed)
		if err != nil {
			return nil, err
		}
		raws = list
	default:
		return nil, errors.New(`invalid JSON request: send a job object, an array of jobs or {"jobs":[…]}`)
	}
	if err := checkJobCount(len(raws)); err != nil {
		return nil, err
	}

	jobs := make([]Job, 0, len(raws))
	for i, raw := range raws {
		j, err := decodeJob(raw, newID)
		if err != nil {
			return nil, &JobError{Index: i, ID: peekID(raw), Err: err}
		}
		if err := Validate(j); err != nil {
			return nil, &JobError{Index: i, ID: j.ID, Err: err}
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// unwrapJobs returns the jobs of {"jobs":[…]}, or the object itself as the
// only job when it has no "jobs" key.
func unwrapJobs(object []byte) ([]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(object, &fields); err != nil {
		return nil, describeJSONError(err)
	}
	list, ok := fields["jobs"]
	if !ok {
		return []json.RawMessage{json.RawMessage(object)}, nil
	}
	for name := range fields {
		if name != "jobs" {
			return nil, fmt.Errorf(`unknown field %q next to "jobs"; a request is {"jobs":[…]} only`, name)
		}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(list, &raws); err != nil {
		return nil, errors.New(`field "jobs" must be an array of jobs`)
	}
	return raws, nil
}

// peekID returns the id of a job object that failed to decode, so that the
// error can name it. It returns "" when the object has no string id.
func peekID(raw []byte) string {
	var probe struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return ""
	}
	id, _ := probe.ID.(string)
	return id
}

// DecodeTextRequest decodes an enqueue request body in the text form: one
// job per line as `ID TASK INPUT`. Lines may end in "\n" or "\r\n"; blank
// lines are skipped. Every job is validated; the first invalid one is
// returned as a *JobError that also names its line.
func DecodeTextRequest(body []byte) ([]Job, error) {
	if err := checkRequestBody(body); err != nil {
		return nil, err
	}

	lines := strings.Split(string(body), "\n")
	jobs := make([]Job, 0, min(len(lines), MaxJobsPerRequest))
	for n, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(jobs) == MaxJobsPerRequest {
			return nil, fmt.Errorf("request has more than %d jobs; split it", MaxJobsPerRequest)
		}
		j, err := ParseText(line)
		if err != nil {
			return nil, &JobError{Index: len(jobs), Err: fmt.Errorf("line %d: %w", n+1, err)}
		}
		if err := Validate(j); err != nil {
			return nil, &JobError{Index: len(jobs), ID: j.ID, Err: fmt.Errorf("line %d: %w", n+1, err)}
		}
		jobs = append(jobs, j)
	}
	if err := checkJobCount(len(jobs)); err != nil {
		return nil, err
	}
	return jobs, nil
}

func checkRequestBody(body []byte) error {
	if len(body) > MaxRequestBytes {
		return fmt.Errorf("request body is %d bytes, over the limit of %d bytes; split it", len(body), MaxRequestBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("request body is empty; send at least one job")
	}
	if !utf8.Valid(body) {
		return fmt.Errorf("request body is not valid UTF-8 at byte %d", invalidUTF8Offset(body))
	}
	return nil
}

func checkJobCount(n int) error {
	if n == 0 {
		return errors.New("request has no jobs; send at least one")
	}
	if n > MaxJobsPerRequest {
		return fmt.Errorf("request has %d jobs, over the limit of %d; split it", n, MaxJobsPerRequest)
	}
	return nil
}
