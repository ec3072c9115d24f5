package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/relay-pipeline/relay/internal/localpipeline"
)

var (
	buildOnce    sync.Once
	bootstrapDir string
	buildErr     error
)

// testBootstraps builds the three bootstraps once per test binary into a temporary folder
// that TestMain removes.
func testBootstraps(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := localpipeline.ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		if bootstrapDir, err = os.MkdirTemp("", "relay-cli-bootstraps-"); err != nil {
			buildErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildErr = localpipeline.BuildBootstraps(ctx, root, bootstrapDir)
	})
	if buildErr != nil {
		t.Fatalf("build bootstraps: %v", buildErr)
	}
	return bootstrapDir
}

func removeBootstraps() {
	if bootstrapDir != "" {
		os.RemoveAll(bootstrapDir)
	}
}

const eventsDir = "../../events"

// invokeResponse returns the JSON that `relay invoke` printed after its response header.
func invokeResponse(t *testing.T, stdout string) []byte {
	t.Helper()
	_, response, ok := strings.Cut(stdout, "--- response")
	if !ok {
		t.Fatalf("output has no response section:\n%s", stdout)
	}
	_, body, _ := strings.Cut(response, "\n")
	return []byte(body)
}

// expectedRetries returns the message ids of the sample batch's flaky jobs whose planned
// failures include this delivery: `flaky N` fails while ApproximateReceiveCount <= N.
func expectedRetries(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var event events.SQSEvent
	if err := json.Unmarshal(raw, &event); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var ids []string
	for _, record := range event.Records {
		var job struct{ Task, Input string }
		if json.Unmarshal([]byte(record.Body), &job) != nil || job.Task != "flaky" {
			continue
		}
		failures, _ := strconv.Atoi(job.Input)
		receives, _ := strconv.Atoi(record.Attributes["ApproximateReceiveCount"])
		if receives <= failures {
			ids = append(ids, record.MessageId)
		}
	}
	if len(ids) == 0 {
		t.Fatalf("%s has no flaky job that fails on this delivery; the test needs one", path)
	}
	return ids
}

func TestInvokeProcessSampleBatch(t *testing.T) {
	t.Parallel()
	dir := testBootstraps(t)
	eventPath := filepath.Join(eventsDir, "sqs-batch.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	stdout, stderr, err := runCLI(ctx, "invoke", "process", "--event", eventPath, "--build-dir", dir)
	if err != nil {
		t.Fatalf("relay invoke process: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}

	var response events.SQSEventResponse
	if err := json.Unmarshal(invokeResponse(t, stdout), &response); err != nil {
		t.Fatalf("response is not an SQS batch response: %v\n%s", err, stdout)
	}
	var failed []string
	for _, item := range response.BatchItemFailures {
		failed = append(failed, item.ItemIdentifier)
	}
	if want := expectedRetries(t, eventPath); strings.Join(failed, ",") != strings.Join(want, ",") {
		t.Errorf("batchItemFailures = %v, want %v (the flaky job on a planned failure)", failed, want)
	}
	if !strings.Contains(stdout, "--- logs\n") || !strings.Contains(stdout, "process") {
		t.Errorf("output has no function logs:\n%s", stdout)
	}
}

func TestInvokeFunctionErrorFails(t *testing.T) {
	t.Parallel()
	dir := testBootstraps(t)

	// A notification whose Message is not a result: notified returns an error.
	raw, err := os.ReadFile(filepath.Join(eventsDir, "sns-notification.json"))
	if err != nil {
		t.Fatal(err)
	}
	var notification events.SNSEvent
	if err := json.Unmarshal(raw, &notification); err != nil {
		t.Fatal(err)
	}
	notification.Records[0].SNS.Message = "this is not a result"
	badNotification := filepath.Join(t.TempDir(), "bad-notification.json")
	writeJSON(t, badNotification, notification)

	// Records that are not a list: the event does not decode, so process fails.
	badBatch := filepath.Join(t.TempDir(), "bad-batch.json")
	writeJSON(t, badBatch, map[string]any{"Records": "not a list"})

	for _, tt := range []struct{ function, event string }{
		{"notified", badNotification},
		{"process", badBatch},
	} {
		t.Run(tt.function, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			stdout, _, err := runCLI(ctx, "invoke", tt.function, "--event", tt.event, "--build-dir", dir)
			if err == nil {
				t.Fatalf("relay invoke %s returned nil for an event the function rejects; output:\n%s", tt.function, stdout)
			}
			if !strings.Contains(err.Error(), "function "+tt.function+" returned an error") {
				t.Errorf("error %q does not report a function error of %s", err, tt.function)
			}
			if !strings.Contains(stdout, "errorMessage") {
				t.Errorf("output does not show the function's error object:\n%s", stdout)
			}
		})
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

var summaryCounts = regexp.MustCompile(`succeeded (\d+)  failed (\d+)  dlq (\d+)  missing (\d+)  duplicates (\d+)`)

func TestLocalUntilDrainedSampleJobs(t *testing.T) {
	t.Parallel()
	dir := testBootstraps(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	start := time.Now()
	stdout, stderr, err := runCLI(ctx, "local", "--until-drained",
		"--jobs", filepath.Join(eventsDir, "sample-jobs.ndjson"),
		"--build-dir", dir,
		"--addr", "127.0.0.1:0", "--url-addr", "127.0.0.1:0",
		"-c", "retryBackoff=1", "-c", "batchingWindow=0",
		"--delivery-delay", "1s", "--progress", "0", "--drain-timeout", "2m", "--results")
	t.Logf("relay local --until-drained took %s", time.Since(start).Round(time.Millisecond))
	t.Logf("output:\n%s", stdout)
	if err != nil {
		t.Fatalf("relay local: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}

	for _, want := range []string{
		"delivery delay shortened from the stack's 5s to 1s",
		"sent 19 jobs through enqueue: 19 queued, 0 failed to queue",
		"summary: 19 jobs submitted",
		"dlq reason invalid-input",
		"dlq reason max-receive-count",
		"API calls of the pipeline:",
		// --results: the first sample job's output is the SHA-256 of its input.
		fmt.Sprintf(`result  sample-checksum-1  checksum  succeeded  attempt 1  output "%x"`, sha256.Sum256([]byte("hello, relay"))),
		`result  sample-verify-mismatch  verify  failed  attempt 1  error "sha-256 mismatch`,
		`result  sample-flaky-2  flaky  succeeded  attempt 3`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output does not contain %q:\n%s", want, stdout)
		}
	}

	// The sample's comments give the outcome: every job succeeds except a verify with a
	// wrong hash (failed), a verify with a malformed hash (DLQ at once) and flaky 1000
	// (DLQ after the redrive).
	match := summaryCounts.FindStringSubmatch(stdout)
	if match == nil {
		t.Fatalf("no summary counts in the output:\n%s", stdout)
	}
	got := strings.Join(match[1:], " ")
	if want := "16 1 2 0 0"; got != want {
		t.Errorf("succeeded failed dlq missing duplicates = %s, want %s", got, want)
	}
}
