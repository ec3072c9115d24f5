package localpipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/localcloud"
	"github.com/relay-pipeline/relay/internal/localcloud/lambda"
	"github.com/relay-pipeline/relay/internal/settings"
)

// defaultChaosSeed seeds the chaos plan and every fault. RELAY_CHAOS_SEED replaces it to
// reproduce or explore another run.
const defaultChaosSeed uint64 = 20261207

// chaosJobs is the number of jobs in a chaos run, 5% of them poison.
const chaosJobs = 2000

// TestPipelineChaos runs 2,000 jobs, 5% of them poison, twice with the same plan: once with
// every fault switched on, and once without faults as the control. Both runs must account for
// every job. Duplicates and retried poison messages must stay within what the injected
// faults can cause, and the control must have none.
func TestPipelineChaos(t *testing.T) {
	seed := chaosSeed(t)
	t.Logf("chaos seed %d (set RELAY_CHAOS_SEED=%d to reproduce)", seed, seed)
	plan := buildChaosPlan(seed)
	if total := len(plan.enqueued) + len(plan.raw); total != chaosJobs {
		t.Fatalf("chaos plan has %d jobs, expected %d", total, chaosJobs)
	}
	if poison := plan.count(isPoison); poison != chaosJobs*5/100 {
		t.Fatalf("chaos plan has %d poison jobs, expected %d (5%%)", poison, chaosJobs*5/100)
	}

	// The two runs overlap, so the control's work fills the chaos run's wait for
	// redeliveries.
	t.Run("faults", func(t *testing.T) {
		t.Parallel()
		run := runChaos(t, plan, seed, true)
		checkChaosRun(t, plan, run)
	})
	t.Run("control", func(t *testing.T) {
		t.Parallel()
		run := runChaos(t, plan, seed, false)
		checkControlRun(t, plan, run)
	})
}

func chaosSeed(t *testing.T) uint64 {
	text := os.Getenv("RELAY_CHAOS_SEED")
	if text == "" {
		return defaultChaosSeed
	}
	seed, err := strconv.ParseUint(text, 10, 64)
	if err != nil || seed == 0 {
		t.Fatalf("RELAY_CHAOS_SEED %q is not a positive whole number", text)
	}
	return seed
}

// chaosSettings shortens the stack's waits so that a run takes well under a minute when the
// machine is idle. A message whose invoke was killed comes back after the 31 s visibility
// timeout, which allows a process timeout of at most 5 s (visibility timeout >= 6 x process
// timeout).
func chaosSettings(t testing.TB) settings.Settings {
	return shortSettings(t, "5", "31")
}

// chaosCloudFaults fails a share of the calls of each action with AWS's internal error. The
// SDKs make up to 3 attempts, so at 5% a call almost never fails for good; PublishBatch and
// DeleteMessageBatch fail more often, so that some calls fail after every attempt and the
// handlers' failure paths run.
func chaosCloudFaults(seed uint64) *localcloud.FaultConfig {
	return &localcloud.FaultConfig{
		Seed: seed,
		Rates: map[string]float64{
			"sns:Publish":            0.05,
			"sns:PublishBatch":       0.30,
			"sqs:DeleteMessageBatch": 0.30,
			"sqs:SendMessageBatch":   0.05,
		},
	}
}

// chaosRuntimeFaults kills, times out or delays a share of the invokes of process and
// notified. enqueue is left alone: the test is its producer, and a killed enqueue would only
// make the producer send its 500 jobs again.
func chaosRuntimeFaults(seed uint64) *lambda.Faults {
	return &lambda.Faults{
		Seed:         int64(seed),
		KillRate:     0.03,
		TimeoutRate:  0.02,
		DelayRate:    0.05,
		Delay:        300 * time.Millisecond,
		TimeoutAfter: time.Second,
		Functions:    []string{settings.FunctionProcess, settings.FunctionNotified},
	}
}

// expectedOutcome is how a job of the plan ends: a result with Status, or, when Status is
// empty, a DLQ message with Reason.
type expectedOutcome struct {
	Status string
	Reason string
}

func isPoison(e expectedOutcome) bool {
	return e.Status == "" && e.Reason != ReasonMaxReceiveCount
}

// rawJob is a message body sent straight to the jobs queue, as a producer other than
// enqueue would.
type rawJob struct {
	id   string
	body string
}

// chaosPlan is the jobs of a chaos run and the outcome each must reach.
type chaosPlan struct {
	enqueued []job.Job
	raw      []rawJob
	expected map[string]expectedOutcome
}

func (p chaosPlan) count(match func(expectedOutcome) bool) int {
	n := 0
	for _, e := range p.expected {
		if match(e) {
			n++
		}
	}
	return n
}

// buildChaosPlan returns 2,000 jobs in an order shuffled by seed. 100 are poison: 35
// malformed and 25 with an unknown task go straight to the queue, and 40 whose input the task
// rejects go through enqueue. 60 are planned failures and 1,840 are normal jobs, a tenth of
// them sent in the text form straight to the queue.
func buildChaosPlan(seed uint64) chaosPlan {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	p := chaosPlan{expected: map[string]expectedOutcome{}}
	enqueue := func(j job.Job, want expectedOutcome) {
		p.enqueued = append(p.enqueued, j)
		p.expected[j.ID] = want
	}
	send := func(id, body string, want expectedOutcome) {
		p.raw = append(p.raw, rawJob{id: id, body: body})
		p.expected[id] = want
	}
	succeeded := expectedOutcome{Status: string(job.StatusSucceeded)}
	failed := expectedOutcome{Status: string(job.StatusFailed)}
	relaySum := sha256.Sum256([]byte("relay"))
	relayHash := hex.EncodeToString(relaySum[:])

	malformed := []string{
		`{"id":%q,"task":"checksum","input":"x","priority":1}`,       // unknown field
		`{"id":%q,"task":5,"input":"x"}`,                             // task is not a string
		`%s checksum`,                                                // text form without input
		`{"id":%q,"task":"checksum","input":"x","delaySeconds":901}`, // delay out of range
		`{"id":%q,"task":"checksum","input":""}`,                     // empty input
	}
	for i := range 35 {
		id := fmt.Sprintf("poison-malformed-%02d", i)
		send(id, fmt.Sprintf(malformed[i%len(malformed)], id), expectedOutcome{Reason: "malformed-job"})
	}
	for i := range 25 {
		id := fmt.Sprintf("poison-unknown-%02d", i)
		body := fmt.Sprintf("%s no-such-task some input %d", id, i)
		if i%2 == 1 {
			body = fmt.Sprintf(`{"id":%q,"task":"resize","input":"image %d"}`, id, i)
		}
		send(id, body, expectedOutcome{Reason: "unknown-task"})
	}
	invalidInputs := []struct{ task, input string }{
		{"verify", "xyz relay"},
		{"verify", strings.Repeat("zz", 32) + " relay"},
		{"flaky", "-1"},
		{"sleep", "soon"},
	}
	for i := range 40 {
		in := invalidInputs[i%len(invalidInputs)]
		enqueue(job.Job{ID: fmt.Sprintf("poison-input-%02d", i), Task: in.task, Input: in.input}, expectedOutcome{Reason: "invalid-input"})
	}

	for i := range 30 {
		enqueue(job.Job{ID: fmt.Sprintf("mismatch-%02d", i), Task: "verify", Input: relayHash + " not relay"}, failed)
	}
	for i := range 20 {
		enqueue(job.Job{ID: fmt.Sprintf("flaky-once-%02d", i), Task: "flaky", Input: "1"}, succeeded)
	}
	for i := range 10 {
		enqueue(job.Job{ID: fmt.Sprintf("flaky-forever-%02d", i), Task: "flaky", Input: "1000"}, expectedOutcome{Reason: ReasonMaxReceiveCount})
	}

	for i := range chaosJobs - 160 {
		id := fmt.Sprintf("ok-%04d", i)
		if rng.IntN(10) == 0 {
			send(id, fmt.Sprintf("%s wordcount a job in the text form, number %d", id, i), succeeded)
			continue
		}
		j := job.Job{ID: id}
		switch roll := rng.IntN(10); {
		case roll < 4:
			j.Task, j.Input = "checksum", fmt.Sprintf("payload %d", i)
		case roll < 7:
			j.Task, j.Input = "wordcount", fmt.Sprintf("job number %d of the chaos run", i)
		case roll < 9:
			j.Task, j.Input = "verify", relayHash+" relay"
		default:
			j.Task, j.Input = "sleep", "0.005"
		}
		enqueue(j, succeeded)
	}

	rng.Shuffle(len(p.enqueued), func(i, j int) { p.enqueued[i], p.enqueued[j] = p.enqueued[j], p.enqueued[i] })
	rng.Shuffle(len(p.raw), func(i, j int) { p.raw[i], p.raw[j] = p.raw[j], p.raw[i] })
	return p
}

// Log messages of failures that the mapping and process handle and do not return. Each
// concerns a number of messages, given by the attribute named in failureLogs.
const (
	logWholeBatchFailed   = "function failed the whole batch; nothing is deleted"
	logInvalidResponse    = "invalid batch response fails the whole batch; nothing is deleted"
	logDeleteFailed       = "DeleteMessageBatch failed; the messages will be received again"
	logDeleteEntryFailed  = "DeleteMessageBatch entries failed; those messages will be received again"
	logPublishFailed      = "PublishBatch failed"
	logPublishEntryFailed = "publish result failed"
	logDLQSendFailed      = "SendMessageBatch to the DLQ failed"
	logDLQEntryFailed     = "DLQ entry failed"
)

// failureLogs maps each counted log message to the attribute with its number of messages;
// an empty attribute means one message per record.
var failureLogs = map[string]string{
	logWholeBatchFailed:   "records",
	logInvalidResponse:    "records",
	logDeleteFailed:       "messages",
	logDeleteEntryFailed:  "failed",
	logPublishFailed:      "entries",
	logPublishEntryFailed: "",
	logDLQSendFailed:      "entries",
	logDLQEntryFailed:     "",
}

// failureCounter counts the failure log records of the mapping (through slog) and of process
// (through its JSON log lines), with the number of messages each concerns.
type failureCounter struct {
	mu       sync.Mutex
	records  map[string]int64
	messages map[string]int64
}

func newFailureCounter() *failureCounter {
	return &failureCounter{records: map[string]int64{}, messages: map[string]int64{}}
}

func (c *failureCounter) add(msg string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records[msg]++
	c.messages[msg] += n
}

// observeLine counts one JSON log line of a function.
func (c *failureCounter) observeLine(line []byte) {
	var record map[string]any
	if json.Unmarshal(line, &record) != nil {
		return
	}
	msg, _ := record["msg"].(string)
	key, counted := failureLogs[msg]
	if !counted {
		return
	}
	n := int64(1)
	if v, ok := record[key].(float64); ok && key != "" {
		n = int64(v)
	}
	c.add(msg, n)
}

func (c *failureCounter) snapshot() (records, messages map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.records), maps.Clone(c.messages)
}

// Enabled, Handle, WithAttrs and WithGroup make the counter an slog.Handler for the
// pipeline's own logs.
func (c *failureCounter) Enabled(context.Context, slog.Level) bool { return true }

func (c *failureCounter) Handle(_ context.Context, r slog.Record) error {
	key, counted := failureLogs[r.Message]
	if !counted {
		return nil
	}
	n := int64(1)
	r.Attrs(func(a slog.Attr) bool {
		if key != "" && a.Key == key {
			n = a.Value.Int64()
			return false
		}
		return true
	})
	c.add(r.Message, n)
	return nil
}

func (c *failureCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *failureCounter) WithGroup(string) slog.Handler      { return c }

// chaosRun is what one run of the plan observed.
type chaosRun struct {
	tracker     *Tracker
	report      Report
	duplicates  map[string]int
	retried     []DeadLetter // poison DLQ messages with a receive count above 1
	resubmitted int          // jobs that enqueue reported as failed and the test sent again
	calls       map[string]int64
	injected    map[string]int64
	runtime     lambda.Stats
	mapping     mappingStats
	logRecords  map[string]int64
	logMessages map[string]int64
	onFailure   int // events in notified's on-failure queue
}

type mappingStats struct {
	Receives, Batches, Records, Deleted, BatchItemFailures, FailedBatches int64
}

// runChaos runs the plan through a new pipeline, with or without faults, and waits until
// every job is accounted for and the pipeline is quiet, so that late duplicates are counted.
func runChaos(t *testing.T, plan chaosPlan, seed uint64, faults bool) chaosRun {
	tracker := NewTracker()
	failures := newFailureCounter()
	p := startPipeline(t, chaosSettings(t), tracker, func(o *Options) {
		o.Logger = slog.New(failures)
		o.OnLogLine = func(function string, line []byte) {
			switch function {
			case settings.FunctionNotified:
				tracker.ObserveLogLine(line)
			case settings.FunctionProcess:
				failures.observeLine(line)
			}
		}
		if faults {
			o.CloudFaults = chaosCloudFaults(seed)
			o.RuntimeFaults = chaosRuntimeFaults(seed)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resubmitted := submitEnqueued(ctx, t, p, tracker, plan.enqueued)
	submitRaw(ctx, t, p, tracker, plan.raw)

	report := waitQuiet(t, p, tracker, 4*time.Minute)
	stats := p.Mapping.Stats()
	records, messages := failures.snapshot()
	return chaosRun{
		tracker:     tracker,
		report:      report,
		duplicates:  tracker.Duplicates(),
		retried:     tracker.RetriedPermanentFailures(),
		resubmitted: resubmitted,
		calls:       p.Cloud.Calls(),
		injected:    p.Cloud.InjectedFaults(),
		runtime:     p.Runtime.Stats(),
		mapping: mappingStats{stats.Receives, stats.Batches, stats.Records, stats.Deleted,
			stats.BatchItemFailures, stats.FailedBatches},
		logRecords:  records,
		logMessages: messages,
		onFailure:   queueDepth(t, p, settings.QueueNotifiedFailures),
	}
}

// submitEnqueued sends jobs through enqueue and sends again, up to 5 rounds, the jobs that
// enqueue reports as failed, as a producer would. It returns how many jobs it sent again.
func submitEnqueued(ctx context.Context, t *testing.T, p *Pipeline, tracker *Tracker, jobs []job.Job) int {
	t.Helper()
	byID := make(map[string]job.Job, len(jobs))
	for _, j := range jobs {
		byID[j.ID] = j
	}
	resubmitted := 0
	pending := jobs
	for round := 1; len(pending) > 0; round++ {
		if round > 5 {
			t.Fatalf("enqueue still failed %d jobs after 5 rounds, first: %s", len(pending), pending[0].ID)
		}
		if round > 1 {
			resubmitted += len(pending)
		}
		outcome, err := p.Submit(ctx, pending)
		if err != nil {
			t.Fatalf("submit round %d: %v", round, err)
		}
		var failed []job.Job
		for _, o := range outcome.Jobs {
			if o.Status == job.OutcomeQueued {
				tracker.Submitted(o.ID)
				continue
			}
			failed = append(failed, byID[o.ID])
		}
		pending = failed
	}
	return resubmitted
}

// submitRaw sends bodies straight to the jobs queue with SendMessageBatch, sending again
// the entries of a failed call, up to 5 attempts per batch.
func submitRaw(ctx context.Context, t *testing.T, p *Pipeline, tracker *Tracker, raw []rawJob) {
	t.Helper()
	queueURL := p.QueueURLs[settings.QueueJobs]
	for start := 0; start < len(raw); start += 10 {
		pending := raw[start:min(start+10, len(raw))]
		for attempt := 1; len(pending) > 0; attempt++ {
			if attempt > 5 {
				t.Fatalf("SendMessageBatch of raw jobs still failed after 5 attempts, first: %s", pending[0].id)
			}
			entries := make([]sqstypes.SendMessageBatchRequestEntry, len(pending))
			for i, r := range pending {
				entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(r.body)}
			}
			out, err := p.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			var retry []rawJob
			for _, f := range out.Failed {
				i, _ := strconv.Atoi(aws.ToString(f.Id))
				if f.SenderFault {
					t.Fatalf("raw job %s rejected: %s: %s", pending[i].id, aws.ToString(f.Code), aws.ToString(f.Message))
				}
				retry = append(retry, pending[i])
			}
			for _, s := range out.Successful {
				i, _ := strconv.Atoi(aws.ToString(s.Id))
				tracker.Submitted(pending[i].id)
			}
			pending = retry
		}
	}
}

// waitQuiet collects the DLQ until every job is accounted for and the pipeline has been
// quiet for two polls in a row. Quiet means that the jobs queue contains no message (visible,
// in flight or delayed), notified has no asynchronous event pending, and no count moved.
func waitQuiet(t *testing.T, p *Pipeline, tracker *Tracker, timeout time.Duration) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dlqURL := p.QueueURLs[settings.QueueJobsDLQ]
	previous, quietPolls := "", 0
	for {
		if err := tracker.CollectDLQ(ctx, p.Observer, dlqURL); err != nil && ctx.Err() == nil {
			t.Fatalf("collect DLQ: %v", err)
		}
		report := tracker.Report()
		depth := queueDepth(t, p, settings.QueueJobs)
		notified := p.Runtime.Stats().Functions[settings.FunctionNotified]
		pendingEvents := notified.AsyncAccepted - notified.AsyncSucceeded - notified.AsyncFailed - notified.AsyncDropped
		state := fmt.Sprint(report.Succeeded, report.Failed, report.DeadLetters, tracker.Duplicates(), notified.AsyncAccepted)

		if report.Drained() && depth == 0 && pendingEvents == 0 && state == previous {
			quietPolls++
		} else {
			quietPolls = 0
		}
		if quietPolls >= 2 {
			return report
		}
		if ctx.Err() != nil {
			t.Errorf("pipeline not quiet after %s: %d jobs missing, %d messages in the jobs queue, %d notified events pending",
				timeout, len(report.Missing), depth, pendingEvents)
			return report
		}
		previous = state
		time.Sleep(500 * time.Millisecond)
	}
}

// queueDepth returns the visible, in-flight and delayed messages of the named queue.
func queueDepth(t *testing.T, p *Pipeline, queue string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := p.Observer.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(p.QueueURLs[queue]),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		t.Fatalf("get the attributes of queue %s: %v", queue, err)
	}
	total := 0
	for _, v := range out.Attributes {
		n, _ := strconv.Atoi(v)
		total += n
	}
	return total
}

// checkOutcomes compares every job's results and DLQ messages with the plan. A job planned
// to end with a result may also have a DLQ message from the redrive, because the duplicate
// bound covers it. Any other difference is a mismatch.
func checkOutcomes(t *testing.T, plan chaosPlan, tracker *Tracker) {
	t.Helper()
	var mismatches []string
	for id, want := range plan.expected {
		results := tracker.Results(id)
		letters := tracker.DeadLettersOf(id)
		if want.Status != "" {
			for _, r := range results {
				if r.Status != want.Status {
					mismatches = append(mismatches, fmt.Sprintf("%s: result %s on attempt %d, expected %s", id, r.Status, r.Attempt, want.Status))
				}
			}
			for _, l := range letters {
				if l.Reason != ReasonMaxReceiveCount {
					mismatches = append(mismatches, fmt.Sprintf("%s: DLQ message with reason %s, expected a %s result", id, l.Reason, want.Status))
				}
			}
			if len(results) == 0 && len(letters) > 0 {
				mismatches = append(mismatches, fmt.Sprintf("%s: only in the DLQ, expected a %s result", id, want.Status))
			}
			continue
		}
		if len(results) > 0 {
			mismatches = append(mismatches, fmt.Sprintf("%s: %d results, expected only a DLQ message with reason %s", id, len(results), want.Reason))
		}
		for _, l := range letters {
			if l.Reason != want.Reason {
				mismatches = append(mismatches, fmt.Sprintf("%s: DLQ message with reason %s, expected %s", id, l.Reason, want.Reason))
			}
		}
	}
	sort.Strings(mismatches)
	if len(mismatches) > 0 {
		t.Errorf("%d outcomes differ from the plan, first: %s", len(mismatches), strings.Join(mismatches[:min(10, len(mismatches))], "; "))
	}
}

// checkAccounted checks that no job is lost and no result or DLQ message belongs to a job
// that was never submitted.
func checkAccounted(t *testing.T, plan chaosPlan, run chaosRun) {
	t.Helper()
	if run.report.Submitted != chaosJobs {
		t.Errorf("submitted jobs: got %d, expected %d", run.report.Submitted, chaosJobs)
	}
	if len(run.report.Missing) > 0 {
		t.Errorf("%d jobs lost (neither a result nor a DLQ message), first: %v", len(run.report.Missing), firstIDs(run.report.Missing))
	}
	if len(run.report.Unexpected) > 0 {
		t.Errorf("%d results or DLQ messages for jobs never submitted, first: %v", len(run.report.Unexpected), firstIDs(run.report.Unexpected))
	}
	for reason, want := range map[string]int{
		"malformed-job":       plan.count(func(e expectedOutcome) bool { return e.Reason == "malformed-job" }),
		"unknown-task":        plan.count(func(e expectedOutcome) bool { return e.Reason == "unknown-task" }),
		"invalid-input":       plan.count(func(e expectedOutcome) bool { return e.Reason == "invalid-input" }),
		ReasonMaxReceiveCount: plan.count(func(e expectedOutcome) bool { return e.Reason == ReasonMaxReceiveCount }),
	} {
		if got := distinctJobs(run.tracker, reason); got != want {
			t.Errorf("jobs in the DLQ with reason %s: got %d, expected %d", reason, got, want)
		}
	}
	checkOutcomes(t, plan, run.tracker)
}

// distinctJobs returns how many jobs have a DLQ message with the reason.
func distinctJobs(tracker *Tracker, reason string) int {
	jobs := map[string]bool{}
	for _, l := range tracker.DeadLetters() {
		if l.Reason == reason {
			jobs[l.JobID] = true
		}
	}
	return len(jobs)
}

func checkControlRun(t *testing.T, plan chaosPlan, run chaosRun) {
	checkAccounted(t, plan, run)
	if len(run.duplicates) > 0 || len(run.report.Duplicates) > 0 {
		t.Errorf("duplicates without faults: %v (jobs %v)", run.duplicates, firstIDs(run.report.Duplicates))
	}
	if len(run.retried) > 0 {
		t.Errorf("%d poison messages retried without faults, first: %+v", len(run.retried), run.retried[0])
	}
	if want := plan.count(func(e expectedOutcome) bool { return e.Status == string(job.StatusSucceeded) }); run.report.Succeeded != want {
		t.Errorf("succeeded results: got %d, expected %d", run.report.Succeeded, want)
	}
	if want := plan.count(func(e expectedOutcome) bool { return e.Status == string(job.StatusFailed) }); run.report.Failed != want {
		t.Errorf("failed results: got %d, expected %d", run.report.Failed, want)
	}
	if run.mapping.FailedBatches != 0 {
		t.Errorf("whole batches failed without faults: %d", run.mapping.FailedBatches)
	}
	if total := sumValues(run.injected); total != 0 {
		t.Errorf("faults injected in the control run: %v", run.injected)
	}
	t.Logf("control, same plan without faults: %d jobs in %s, %d succeeded, %d failed, DLQ %v, duplicates 0, poison retried 0, lost %d",
		run.report.Submitted, run.report.Elapsed.Round(time.Second), run.report.Succeeded, run.report.Failed,
		run.report.DLQByReason, len(run.report.Missing))
}

func checkChaosRun(t *testing.T, plan chaosPlan, run chaosRun) {
	defer logChaosFigures(t, plan, run)
	checkAccounted(t, plan, run)

	process := run.runtime.Functions[settings.FunctionProcess]
	notified := run.runtime.Functions[settings.FunctionNotified]
	checkFaultsInjected(t, run, process, notified)

	// process never returns an error, so every whole-batch failure is an injected kill or
	// timeout, or a real timeout of an invoke slowed down by retried calls.
	if process.Errors != process.Crashes+process.Timeouts {
		t.Errorf("process errors: got %d, expected only its %d crashes and %d timeouts", process.Errors, process.Crashes, process.Timeouts)
	}
	if run.mapping.FailedBatches != process.Errors {
		t.Errorf("whole batches failed: got %d, expected one per process error (%d)", run.mapping.FailedBatches, process.Errors)
	}
	if got := run.logRecords[logWholeBatchFailed]; got != run.mapping.FailedBatches {
		t.Errorf("logged whole-batch failures: got %d, expected %d; has the mapping's log message changed?", got, run.mapping.FailedBatches)
	}
	if crashes := process.Crashes + notified.Crashes; crashes != run.runtime.Faults.Kills {
		t.Errorf("crashes: got %d, expected one per injected kill (%d)", crashes, run.runtime.Faults.Kills)
	}
	if notified.Errors != notified.Crashes+notified.Timeouts {
		t.Errorf("notified errors: got %d, expected only its %d crashes and %d timeouts", notified.Errors, notified.Crashes, notified.Timeouts)
	}

	// A message runs again only when the receive before it was not deleted: its batch
	// failed as a whole or its delete failed (a transient failure produced no result to
	// repeat). The 31 s visibility timeout is far above the 5 s process timeout, so it does
	// not pass while an invoke runs.
	redelivered := run.logMessages[logWholeBatchFailed] + run.logMessages[logInvalidResponse] +
		run.logMessages[logDeleteFailed] + run.logMessages[logDeleteEntryFailed]
	queueDuplicates := int64(run.duplicates[DuplicateRedelivered] + run.duplicates[DuplicateDeadLetteredAgain] +
		run.duplicates[DuplicateResultAndDeadLetter])
	if queueDuplicates > redelivered {
		t.Errorf("duplicates from SQS redelivery: got %d, more than the %d messages of failed batches and failed deletes",
			queueDuplicates, redelivered)
	}
	if got := int64(run.duplicates[DuplicateNotificationRetried]); got > notified.Errors {
		t.Errorf("duplicates from notified's retries: got %d, more than its %d failed invokes", got, notified.Errors)
	}
	if got := run.duplicates[DuplicateEnqueuedTwice]; got > run.resubmitted {
		t.Errorf("duplicates from jobs enqueued twice: got %d, more than the %d jobs sent again", got, run.resubmitted)
	}

	// A poison message is retried only when the receive before it was not deleted, or its
	// DLQ send failed.
	dlqSendFailed := run.logMessages[logDLQSendFailed] + run.logMessages[logDLQEntryFailed]
	if got := int64(len(run.retried)); got > redelivered+dlqSendFailed {
		t.Errorf("poison messages retried: got %d, more than the %d redelivered by faults and %d whose DLQ send failed; first: %+v",
			got, redelivered, dlqSendFailed, run.retried[0])
	}
}

// checkFaultsInjected checks that every kind of fault happened, so that the run tested them.
func checkFaultsInjected(t *testing.T, run chaosRun, process, notified lambda.FunctionStats) {
	t.Helper()
	for _, action := range []string{"sns:PublishBatch", "sqs:DeleteMessageBatch", "sqs:SendMessageBatch"} {
		if run.injected[action] == 0 {
			t.Errorf("no fault injected into %s (%d calls)", action, run.calls[action])
		}
	}
	if run.logRecords[logPublishFailed] == 0 {
		t.Errorf("no PublishBatch call of process failed after the SDK's retries; the publish failure path did not run")
	}
	if run.logRecords[logDeleteFailed] == 0 {
		t.Errorf("no DeleteMessageBatch call of the mapping failed after the SDK's retries; the delete failure path did not run")
	}
	faults := run.runtime.Faults
	if faults.Kills == 0 || faults.Timeouts == 0 || faults.Delays == 0 {
		t.Errorf("runtime faults: kills %d, timeouts %d, delays %d; expected some of each", faults.Kills, faults.Timeouts, faults.Delays)
	}
	if process.Crashes+process.Timeouts == 0 || notified.Crashes+notified.Timeouts == 0 {
		t.Errorf("failed invokes: process %d, notified %d; expected faults in both", process.Crashes+process.Timeouts, notified.Crashes+notified.Timeouts)
	}
}

// logChaosFigures logs the figures of the chaos run in one block.
func logChaosFigures(t *testing.T, plan chaosPlan, run chaosRun) {
	var b strings.Builder
	r := run.report
	process := run.runtime.Functions[settings.FunctionProcess]
	notified := run.runtime.Functions[settings.FunctionNotified]
	fmt.Fprintf(&b, "chaos run: %d jobs in %s (%d through enqueue, %d straight to the queue), %d poison\n",
		r.Submitted, r.Elapsed.Round(time.Second), len(plan.enqueued), len(plan.raw), plan.count(isPoison))

	fmt.Fprintf(&b, "  cloud faults injected (of calls):")
	for _, action := range slices.Sorted(maps.Keys(chaosCloudFaults(0).Rates)) {
		fmt.Fprintf(&b, " %s %d of %d;", action, run.injected[action], run.calls[action])
	}
	fmt.Fprintf(&b, "\n  calls failed after the SDK's retries: PublishBatch %d (%d results retried), DeleteMessageBatch %d (%d messages redelivered), DLQ SendMessageBatch %d (%d messages retried)\n",
		run.logRecords[logPublishFailed], run.logMessages[logPublishFailed],
		run.logRecords[logDeleteFailed], run.logMessages[logDeleteFailed],
		run.logRecords[logDLQSendFailed], run.logMessages[logDLQSendFailed])

	faults := run.runtime.Faults
	fmt.Fprintf(&b, "  runtime faults injected: kills %d, timeouts %d, delays %d; process: %d crashes, %d timeouts of %d invokes, %d whole batches failed (%d records); notified: %d crashes, %d timeouts of %d invokes, %d async retries, %d events to the on-failure queue (%d there)\n",
		faults.Kills, faults.Timeouts, faults.Delays,
		process.Crashes, process.Timeouts, process.Invokes, run.mapping.FailedBatches, run.logMessages[logWholeBatchFailed],
		notified.Crashes, notified.Timeouts, notified.Invokes, notified.AsyncRetries, notified.AsyncFailed, run.onFailure)

	fmt.Fprintf(&b, "  results: %d jobs succeeded, %d failed; DLQ: %d messages by reason %v\n",
		r.Succeeded, r.Failed, r.DeadLetters, r.DLQByReason)
	fmt.Fprintf(&b, "  duplicates: %d deliveries beyond the first, of %d jobs, by cause %v; jobs sent again by the producer %d\n",
		sumValues(run.duplicates), len(r.Duplicates), run.duplicates, run.resubmitted)
	fmt.Fprintf(&b, "  poison retried (receive_count > 1): %d; mapping %+v\n", len(run.retried), run.mapping)
	fmt.Fprintf(&b, "  lost: %d", len(r.Missing))
	t.Log(b.String())
}

func sumValues[V int | int64](m map[string]V) V {
	var total V
	for _, v := range m {
		total += v
	}
	return total
}

// TestTrackerDuplicates checks the causes that Tracker.Duplicates gives, without a pipeline.
func TestTrackerDuplicates(t *testing.T) {
	tracker := NewTracker()
	line := func(jobID, messageID string, attempt int) []byte {
		return fmt.Appendf(nil, `{"msg":"job finished","job_id":%q,"task":"checksum","status":"succeeded","attempt":%d,"message_id":%q}`,
			jobID, attempt, messageID)
	}
	tracker.Submitted("once", "retried", "redelivered", "twice", "poison", "both")
	tracker.ObserveLogLine(line("once", "m1", 1))
	tracker.ObserveLogLine(line("retried", "m2", 1))
	tracker.ObserveLogLine(line("retried", "m2", 1))
	tracker.ObserveLogLine(line("redelivered", "m3", 1))
	tracker.ObserveLogLine(line("redelivered", "m3", 2))
	tracker.ObserveLogLine(line("redelivered", "m3", 2))
	tracker.ObserveLogLine(line("twice", "m4", 1))
	tracker.ObserveLogLine(line("twice", "m5", 1))
	tracker.ObserveLogLine(line("both", "m6", 1))
	for i, letter := range []DeadLetter{
		{JobID: "poison", Reason: "malformed-job", ReceiveCount: 1},
		{JobID: "poison", Reason: "malformed-job", ReceiveCount: 2},
		{JobID: "both", Reason: ReasonMaxReceiveCount, ReceiveCount: 5},
	} {
		letter.MessageID = fmt.Sprintf("dlq-%d", i)
		tracker.dlq[letter.MessageID] = letter
		tracker.dlqByJob[letter.JobID]++
	}

	got := tracker.Duplicates()
	want := map[string]int{
		DuplicateNotificationRetried: 2,
		DuplicateRedelivered:         1,
		DuplicateEnqueuedTwice:       1,
		DuplicateDeadLetteredAgain:   1,
		DuplicateResultAndDeadLetter: 1,
	}
	if len(got) != len(want) {
		t.Errorf("Duplicates() = %v, expected %v", got, want)
	}
	for cause, n := range want {
		if got[cause] != n {
			t.Errorf("Duplicates()[%s] = %d, expected %d", cause, got[cause], n)
		}
	}
	if ids := tracker.Report().Duplicates; !slices.Equal(ids, []string{"both", "poison", "redelivered", "retried", "twice"}) {
		t.Errorf("Report().Duplicates = %v, expected [both poison redelivered retried twice]", ids)
	}
	retried := tracker.RetriedPermanentFailures()
	if len(retried) != 1 || retried[0].JobID != "poison" || retried[0].ReceiveCount != 2 {
		t.Errorf("RetriedPermanentFailures() = %+v, expected the poison message received twice", retried)
	}
}
