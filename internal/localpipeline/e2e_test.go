package localpipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/settings"
)

var (
	buildOnce     sync.Once
	bootstrapDir  string
	buildErr      error
	buildRootOnce string
)

// testBootstraps builds the three bootstraps once per test binary, into a folder removed
// when the tests end.
func testBootstraps(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		buildRootOnce, err = os.MkdirTemp("", "relay-bootstraps-")
		if err != nil {
			buildErr = err
			return
		}
		bootstrapDir = buildRootOnce
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildErr = BuildBootstraps(ctx, root, bootstrapDir)
	})
	if buildErr != nil {
		t.Fatalf("build bootstraps: %v", buildErr)
	}
	return bootstrapDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildRootOnce != "" {
		os.RemoveAll(buildRootOnce)
	}
	os.Exit(code)
}

// fastSettings returns the stack's settings with waits shortened for tests: a short
// delivery delay and retry backoff, so that redrive after maxReceiveCount takes seconds.
func fastSettings(t testing.TB) settings.Settings {
	return shortSettings(t, "10", "61")
}

// shortSettings returns the stack's settings with a 1 s delivery delay and retry backoff, no
// batching window, and the given process and visibility timeouts in seconds.
func shortSettings(t testing.TB, processTimeout, visibilityTimeout string) settings.Settings {
	t.Helper()
	s, err := settings.Default().WithOverrides(func(key string) any {
		return map[string]any{
			settings.KeyDeliveryDelay:     "1",
			settings.KeyRetryBackoff:      "1",
			settings.KeyProcessTimeout:    processTimeout,
			settings.KeyBatchingWindow:    "0",
			settings.KeyVisibilityTimeout: visibilityTimeout,
		}[key]
	})
	if err != nil {
		t.Fatalf("settings: %v", err)
	}
	return s
}

// startPipeline starts a pipeline that feeds notified's log lines to tracker.
func startPipeline(t testing.TB, s settings.Settings, tracker *Tracker, mutate func(*Options)) *Pipeline {
	t.Helper()
	opts := Options{
		Settings:        s,
		BootstrapDir:    testBootstraps(t),
		AsyncRetryDelay: 100 * time.Millisecond,
		OnLogLine: func(function string, line []byte) {
			if function == settings.FunctionNotified {
				tracker.ObserveLogLine(line)
			}
		},
	}
	if mutate != nil {
		mutate(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("start pipeline: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// waitDrained collects the DLQ until every submitted job is accounted for or the timeout
// passes, and returns the final report.
func waitDrained(t testing.TB, p *Pipeline, tracker *Tracker, timeout time.Duration) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if err := tracker.CollectDLQ(ctx, p.Observer, p.QueueURLs[settings.QueueJobsDLQ]); err != nil && ctx.Err() == nil {
			t.Fatalf("collect DLQ: %v", err)
		}
		report := tracker.Report()
		if report.Drained() || ctx.Err() != nil {
			return report
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// plan is a mix of jobs with known outcomes.
type plan struct {
	jobs        []job.Job // sent through enqueue
	rawMessages []string  // sent straight to the jobs queue, as other producers do
	succeeded   int
	failed      int
	dlq         map[string]int // by reason
	retried     []string       // jobs that succeed on their second attempt
}

func buildPlan(normal int) plan {
	p := plan{dlq: map[string]int{}}
	add := func(j job.Job) { p.jobs = append(p.jobs, j) }
	relaySum := sha256.Sum256([]byte("relay"))
	hash := hex.EncodeToString(relaySum[:])

	for i := range normal {
		task, input := "checksum", fmt.Sprintf("payload %d", i)
		if i%2 == 1 {
			task, input = "wordcount", fmt.Sprintf("job number %d of the run", i)
		}
		add(job.Job{ID: fmt.Sprintf("ok-%04d", i), Task: task, Input: input})
	}
	p.succeeded += normal
	for i := range 30 {
		add(job.Job{ID: fmt.Sprintf("mismatch-%02d", i), Task: "verify", Input: hash + " not relay"})
	}
	p.failed += 30
	for i := range 20 {
		add(job.Job{ID: fmt.Sprintf("malformed-hash-%02d", i), Task: "verify", Input: "xyz relay"})
	}
	p.dlq["invalid-input"] += 20
	for i := range 20 {
		id := fmt.Sprintf("flaky-once-%02d", i)
		add(job.Job{ID: id, Task: "flaky", Input: "1"})
		p.retried = append(p.retried, id)
	}
	p.succeeded += 20
	for i := range 10 {
		add(job.Job{ID: fmt.Sprintf("flaky-forever-%02d", i), Task: "flaky", Input: "1000"})
	}
	p.dlq["max-receive-count"] += 10
	for i := range 50 {
		p.rawMessages = append(p.rawMessages, fmt.Sprintf("text-%02d wordcount a job in the text form, number %d", i, i))
	}
	p.succeeded += 50
	for i := range 5 {
		p.rawMessages = append(p.rawMessages, fmt.Sprintf("unknown-task-%d no-such-task some input", i))
	}
	p.dlq["unknown-task"] += 5
	return p
}

// sendRaw sends bodies straight to the jobs queue with SendMessageBatch.
func sendRaw(t testing.TB, p *Pipeline, bodies []string) []string {
	t.Helper()
	var ids []string
	for start := 0; start < len(bodies); start += 10 {
		chunk := bodies[start:min(start+10, len(bodies))]
		entries := make([]sqstypes.SendMessageBatchRequestEntry, len(chunk))
		for i, body := range chunk {
			entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body)}
			ids = append(ids, jobIDFromBody(body))
		}
		out, err := p.SQS.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{
			QueueUrl: aws.String(p.QueueURLs[settings.QueueJobs]),
			Entries:  entries,
		})
		if err != nil {
			t.Fatalf("send raw messages: %v", err)
		}
		if len(out.Failed) > 0 {
			t.Fatalf("send raw messages: %d entries failed, first: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
	}
	return ids
}

func TestPipelineEndToEnd(t *testing.T) {
	tracker := NewTracker()
	p := startPipeline(t, fastSettings(t), tracker, nil)
	work := buildPlan(865) // 865 + 135 jobs with planned failures = 1,000 jobs

	outcome, err := p.Submit(context.Background(), work.jobs)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if outcome.Queued != len(work.jobs) || outcome.Failed != 0 {
		t.Fatalf("enqueue queued %d and failed %d of %d jobs, expected all queued", outcome.Queued, outcome.Failed, len(work.jobs))
	}
	for _, o := range outcome.Jobs {
		tracker.Submitted(o.ID)
	}
	tracker.Submitted(sendRaw(t, p, work.rawMessages)...)
	if total := len(work.jobs) + len(work.rawMessages); total != 1000 {
		t.Fatalf("plan has %d jobs, expected 1000", total)
	}

	report := waitDrained(t, p, tracker, 3*time.Minute)

	if len(report.Missing) > 0 {
		t.Fatalf("%d jobs lost (neither a result nor a DLQ message), first: %v", len(report.Missing), firstIDs(report.Missing))
	}
	if len(report.Duplicates) > 0 {
		t.Errorf("%d jobs seen more than once without injected faults, first: %v", len(report.Duplicates), firstIDs(report.Duplicates))
	}
	if len(report.Unexpected) > 0 {
		t.Errorf("%d results for jobs never submitted, first: %v", len(report.Unexpected), firstIDs(report.Unexpected))
	}
	if report.Succeeded != work.succeeded {
		t.Errorf("succeeded results: got %d, expected %d", report.Succeeded, work.succeeded)
	}
	if report.Failed != work.failed {
		t.Errorf("failed results: got %d, expected %d", report.Failed, work.failed)
	}
	for reason, want := range work.dlq {
		if got := report.DLQByReason[reason]; got != want {
			t.Errorf("DLQ messages with reason %s: got %d, expected %d", reason, got, want)
		}
	}
	if report.DeadLetters != 35 {
		t.Errorf("DLQ messages: got %d, expected 35 (%v)", report.DeadLetters, report.DLQByReason)
	}

	for _, id := range work.retried {
		results := tracker.Results(id)
		if len(results) != 1 || results[0].Attempt != 2 || results[0].Status != "succeeded" {
			t.Errorf("job %s: expected one succeeded result on attempt 2, got %+v", id, results)
		}
	}

	stats := p.Mapping.Stats()
	// 20 jobs fail once and 10 fail on each of their 5 receives before the redrive.
	if want := int64(20 + 10*5); stats.BatchItemFailures < want {
		t.Errorf("batch item failures reported: got %d, expected at least %d", stats.BatchItemFailures, want)
	}
	if stats.FailedBatches != 0 {
		t.Errorf("whole batches failed: got %d, expected 0 (partial batch failures only)", stats.FailedBatches)
	}
	t.Logf("1000 jobs in %s: %d succeeded, %d failed, DLQ %v; latency p50 %s p99 %s; mapping %+v",
		report.Elapsed.Round(time.Millisecond), report.Succeeded, report.Failed, report.DLQByReason,
		report.LatencyP50, report.LatencyP99, stats)
}

func firstIDs(ids []string) []string { return ids[:min(5, len(ids))] }

func TestReadJobsSample(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := ReadJobs(filepath.Join(root, "events", "sample-jobs.ndjson"))
	if err != nil {
		t.Fatalf("read the sample jobs: %v", err)
	}
	if len(jobs) < 10 {
		t.Fatalf("sample jobs: got %d, expected at least 10", len(jobs))
	}
	seen := map[string]bool{}
	for _, j := range jobs {
		if seen[j.ID] {
			t.Errorf("sample job id %s appears twice", j.ID)
		}
		seen[j.ID] = true
	}
	if !seen["sample-text-1"] {
		t.Errorf("sample jobs lack the text-form job sample-text-1")
	}
}

// TestNotifiedFailureReachesDestination publishes a result that notified cannot decode and
// checks that Lambda's two retries run and the on-failure queue then keeps the whole event.
func TestNotifiedFailureReachesDestination(t *testing.T) {
	p := startPipeline(t, fastSettings(t), NewTracker(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	published, err := p.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.TopicARNs[settings.TopicResults]),
		Message:  aws.String("this is not a result"),
	})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}

	failuresURL := p.QueueURLs[settings.QueueNotifiedFailures]
	var body string
	for body == "" && ctx.Err() == nil {
		out, err := p.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(failuresURL), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("receive from %s: %v", settings.QueueNotifiedFailures, err)
		}
		if len(out.Messages) > 0 {
			body = aws.ToString(out.Messages[0].Body)
		}
	}
	if body == "" {
		t.Fatalf("no destination record reached %s within a minute", settings.QueueNotifiedFailures)
	}

	var record struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload struct {
			Records []struct {
				Sns struct {
					MessageID string `json:"MessageId"`
					Message   string `json:"Message"`
				} `json:"Sns"`
			} `json:"Records"`
		} `json:"requestPayload"`
		ResponseContext struct {
			FunctionError string `json:"functionError"`
		} `json:"responseContext"`
	}
	if err := json.Unmarshal([]byte(body), &record); err != nil {
		t.Fatalf("destination record is not JSON: %v\n%s", err, body)
	}
	if record.RequestContext.Condition != "RetriesExhausted" {
		t.Errorf("condition: got %q, expected RetriesExhausted", record.RequestContext.Condition)
	}
	if record.RequestContext.ApproximateInvokeCount != 3 {
		t.Errorf("approximateInvokeCount: got %d, expected 3 (the invoke and Lambda's two retries)", record.RequestContext.ApproximateInvokeCount)
	}
	if record.ResponseContext.FunctionError != "Unhandled" {
		t.Errorf("functionError: got %q, expected Unhandled", record.ResponseContext.FunctionError)
	}
	if len(record.RequestPayload.Records) != 1 {
		t.Fatalf("request payload has %d records, expected the whole SNS event with 1", len(record.RequestPayload.Records))
	}
	sent := record.RequestPayload.Records[0].Sns
	if sent.MessageID != aws.ToString(published.MessageId) || sent.Message != "this is not a result" {
		t.Errorf("request payload carries message %s %q, expected %s %q", sent.MessageID, sent.Message, aws.ToString(published.MessageId), "this is not a result")
	}
	// The runtime counts the event as failed once the destination call has returned, which
	// may be just after the record reached the queue.
	stats := p.Runtime.Stats().Functions[settings.FunctionNotified]
	for wait := time.Now().Add(5 * time.Second); stats.AsyncFailed == 0 && time.Now().Before(wait); {
		time.Sleep(20 * time.Millisecond)
		stats = p.Runtime.Stats().Functions[settings.FunctionNotified]
	}
	if stats.Errors != 3 || stats.AsyncFailed != 1 {
		t.Errorf("notified: %d errors and %d events to the destination, expected 3 and 1", stats.Errors, stats.AsyncFailed)
	}
}

func TestStartReportsBusyAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	for _, field := range []string{"CloudAddr", "FunctionURLAddr"} {
		opts := Options{Settings: fastSettings(t), BootstrapDir: testBootstraps(t)}
		if field == "CloudAddr" {
			opts.CloudAddr = busy.Addr().String()
		} else {
			opts.FunctionURLAddr = busy.Addr().String()
		}
		p, err := Start(context.Background(), opts)
		if err == nil {
			p.Close()
			t.Fatalf("%s on a busy port: Start succeeded, expected an error", field)
		}
		if !strings.Contains(err.Error(), busy.Addr().String()) {
			t.Errorf("%s on a busy port: error %q does not name the address %s", field, err, busy.Addr())
		}
	}
}
