package localpipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/settings"
)

// jobsPerInvoke keeps a direct invoke of enqueue well under Lambda's 6 MB payload limit for
// jobs of ordinary size.
const jobsPerInvoke = 500

// ReadJobs reads a jobs file: one job per line, as JSON (NDJSON) or in the text form
// `ID TASK INPUT`. Blank lines and lines starting with # are skipped. A job without an id
// gets one, so that it can be tracked. It rejects the first invalid line, naming it.
func ReadJobs(path string) ([]job.Job, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open jobs file: %w", err)
	}
	defer f.Close()
	return DecodeJobs(f, path)
}

// DecodeJobs reads jobs from r as ReadJobs does; name labels errors.
func DecodeJobs(r io.Reader, name string) ([]job.Job, error) {
	var jobs []job.Job
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), job.MaxRequestBytes)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		var (
			j   job.Job
			err error
		)
		if strings.HasPrefix(text, "{") {
			var decoded []job.Job
			decoded, err = job.DecodeJSONRequest([]byte(text), job.NewID)
			if err == nil && len(decoded) != 1 {
				err = fmt.Errorf("a line must hold one job, not %d", len(decoded))
			}
			if err == nil {
				j = decoded[0]
			}
		} else {
			j, err = job.ParseText(text)
			if err == nil {
				err = job.Validate(j)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		jobs = append(jobs, j)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return jobs, nil
}

// Submit sends jobs through the enqueue function by direct invoke, in requests of at most
// 500 jobs, and returns the outcome of every job. A function error (bad input) stops it and
// names the request.
func (p *Pipeline) Submit(ctx context.Context, jobs []job.Job) (job.EnqueueResponse, error) {
	var total job.EnqueueResponse
	for start := 0; start < len(jobs); start += jobsPerInvoke {
		chunk := jobs[start:min(start+jobsPerInvoke, len(jobs))]
		payload, err := json.Marshal(map[string][]job.Job{"jobs": chunk})
		if err != nil {
			return total, err
		}
		response, err := p.Runtime.Invoke(ctx, settings.FunctionEnqueue, payload)
		if err != nil {
			return total, fmt.Errorf("invoke enqueue with jobs %d-%d: %w", start, start+len(chunk)-1, err)
		}
		if response.FunctionError != "" {
			return total, fmt.Errorf("enqueue rejected jobs %d-%d: %s", start, start+len(chunk)-1, response.Payload)
		}
		var outcome job.EnqueueResponse
		if err := json.Unmarshal(response.Payload, &outcome); err != nil {
			return total, fmt.Errorf("decode enqueue's response %q: %w", response.Payload, err)
		}
		total.Queued += outcome.Queued
		total.Failed += outcome.Failed
		total.Jobs = append(total.Jobs, outcome.Jobs...)
	}
	return total, nil
}
