package localpipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Tracker accounts for every submitted job: a result that notified logged, or a message in
// the jobs DLQ. It reads notified's "job finished" log lines, so it counts what a subscriber
// received, not what process meant to send.
type Tracker struct {
	mu         sync.Mutex
	started    time.Time
	submitted  map[string]bool
	results    map[string][]Finished // by job id, in arrival order
	dlq        map[string]DeadLetter // by SQS message id
	dlqByJob   map[string]int
	latencies  []time.Duration
	lastResult time.Time
}

// Finished is one "job finished" record that notified logged.
type Finished struct {
	JobID     string        `json:"job_id"`
	Task      string        `json:"task"`
	Status    string        `json:"status"`
	Attempt   int           `json:"attempt"`
	MessageID string        `json:"message_id"`
	LatencyMS float64       `json:"latency_ms"`
	Latency   time.Duration `json:"-"`
}

// DeadLetter is one message found in the jobs DLQ.
type DeadLetter struct {
	MessageID    string
	JobID        string
	Reason       string // the reason attribute, or "max-receive-count" for a redriven message
	ReceiveCount int    // ApproximateReceiveCount in the jobs queue when it was moved
}

// NewTracker returns an empty tracker whose clock starts now.
func NewTracker() *Tracker {
	return &Tracker{
		started:   time.Now(),
		submitted: map[string]bool{},
		results:   map[string][]Finished{},
		dlq:       map[string]DeadLetter{},
		dlqByJob:  map[string]int{},
	}
}

// Submitted records job ids that enqueue queued.
func (t *Tracker) Submitted(ids ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		t.submitted[id] = true
	}
}

// ObserveLogLine reads one of notified's log lines and records it when it is a
// "job finished" record. Other lines are ignored.
func (t *Tracker) ObserveLogLine(line []byte) {
	var record struct {
		Msg string `json:"msg"`
		Finished
	}
	if json.Unmarshal(line, &record) != nil || record.Msg != "job finished" || record.JobID == "" {
		return
	}
	finished := record.Finished
	finished.Latency = time.Duration(finished.LatencyMS * float64(time.Millisecond))

	t.mu.Lock()
	defer t.mu.Unlock()
	t.results[finished.JobID] = append(t.results[finished.JobID], finished)
	t.latencies = append(t.latencies, finished.Latency)
	t.lastResult = time.Now()
}

// CollectDLQ receives every visible message of the DLQ and records it, then makes the
// messages visible again, so that the DLQ keeps them for `relay dlq` and later calls. Each
// message stays invisible for at most collectHold while the call runs. Pass a client whose
// calls the local cloud counts apart, such as Pipeline.Observer.
func (t *Tracker) CollectDLQ(ctx context.Context, client *sqs.Client, dlqURL string) error {
	var handles []*string
	defer func() { releaseMessages(context.WithoutCancel(ctx), client, dlqURL, handles) }()

	for range 10000 { // a bound: at most 100,000 messages per call
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(dlqURL),
			MaxNumberOfMessages:         10,
			VisibilityTimeout:           int32(collectHold / time.Second),
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return fmt.Errorf("receive from the jobs DLQ: %w", err)
		}
		if len(out.Messages) == 0 {
			return nil
		}
		t.mu.Lock()
		for _, msg := range out.Messages {
			handles = append(handles, msg.ReceiptHandle)
			letter := deadLetterOf(msg)
			if _, seen := t.dlq[letter.MessageID]; !seen {
				t.dlq[letter.MessageID] = letter
				t.dlqByJob[letter.JobID]++
			}
		}
		t.mu.Unlock()
	}
	return nil
}

// collectHold is how long CollectDLQ keeps the messages it has read invisible, so that it
// reads each one once per call.
const collectHold = 30 * time.Second

// releaseMessages makes received messages visible again at once. A failure only delays
// them until collectHold passes, so it is not reported.
func releaseMessages(ctx context.Context, client *sqs.Client, queueURL string, handles []*string) {
	for start := 0; start < len(handles); start += 10 {
		chunk := handles[start:min(start+10, len(handles))]
		entries := make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, handle := range chunk {
			entries[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: handle}
		}
		_, _ = client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
	}
}

func deadLetterOf(msg sqstypes.Message) DeadLetter {
	attr := func(name string) string {
		if v, ok := msg.MessageAttributes[name]; ok {
			return aws.ToString(v.StringValue)
		}
		return ""
	}
	letter := DeadLetter{MessageID: aws.ToString(msg.MessageId), JobID: attr("job_id"), Reason: attr("reason")}
	if letter.Reason == "" {
		letter.Reason = "max-receive-count"
	}
	if letter.JobID == "" {
		letter.JobID = jobIDFromBody(aws.ToString(msg.Body))
	}
	letter.ReceiveCount, _ = strconv.Atoi(attr("receive_count"))
	if letter.ReceiveCount == 0 {
		// A redriven message keeps its receive count, and this receive adds one. Later
		// calls read larger counts, but only the first sighting of a message is recorded.
		// NOTE: the count carrying over into the DLQ follows the local SQS, whose source
		// for it is user reports rather than AWS documentation.
		letter.ReceiveCount, _ = strconv.Atoi(msg.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
	}
	return letter
}

// jobIDFromBody reads the id of a JSON job or of the text form "ID TASK INPUT".
func jobIDFromBody(body string) string {
	var job struct {
		ID string `json:"id"`
	}
	if json.Unmarshal([]byte(body), &job) == nil && job.ID != "" {
		return job.ID
	}
	for i, r := range body {
		if r == ' ' {
			return body[:i]
		}
	}
	return body
}

// Report is an accounting of the submitted jobs at one moment.
type Report struct {
	Submitted   int
	Succeeded   int
	Failed      int
	DeadLetters int
	DLQByReason map[string]int
	// Missing lists submitted jobs with neither a result nor a DLQ message.
	Missing []string
	// Duplicates lists jobs seen more than once: several results, several DLQ messages, or
	// both a result and a DLQ message.
	Duplicates []string
	// Unexpected lists results or DLQ messages for jobs that were never submitted.
	Unexpected []string
	// LatencyP50 and LatencyP99 are enqueue-to-notification latencies of the results.
	LatencyP50, LatencyP99 time.Duration
	Elapsed                time.Duration
}

// Drained reports whether every submitted job is accounted for.
func (r Report) Drained() bool { return len(r.Missing) == 0 }

// Report returns the accounting so far.
func (t *Tracker) Report() Report {
	t.mu.Lock()
	defer t.mu.Unlock()

	r := Report{Submitted: len(t.submitted), DLQByReason: map[string]int{}, Elapsed: time.Since(t.started)}
	for id, results := range t.results {
		switch results[len(results)-1].Status {
		case "succeeded":
			r.Succeeded++
		default:
			r.Failed++
		}
		if len(results) > 1 || t.dlqByJob[id] > 0 {
			r.Duplicates = append(r.Duplicates, id)
		}
		if !t.submitted[id] {
			r.Unexpected = append(r.Unexpected, id)
		}
	}
	for id, n := range t.dlqByJob {
		if n > 1 && len(t.results[id]) == 0 {
			r.Duplicates = append(r.Duplicates, id)
		}
		if !t.submitted[id] {
			r.Unexpected = append(r.Unexpected, id)
		}
	}
	for _, letter := range t.dlq {
		r.DeadLetters++
		r.DLQByReason[letter.Reason]++
	}
	for id := range t.submitted {
		if len(t.results[id]) == 0 && t.dlqByJob[id] == 0 {
			r.Missing = append(r.Missing, id)
		}
	}
	slices.Sort(r.Missing)
	slices.Sort(r.Duplicates)
	slices.Sort(r.Unexpected)
	r.LatencyP50, r.LatencyP99 = percentile(t.latencies, 0.50), percentile(t.latencies, 0.99)
	return r
}

// DeadLetters returns the DLQ messages recorded so far.
func (t *Tracker) DeadLetters() []DeadLetter {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]DeadLetter, 0, len(t.dlq))
	for _, letter := range t.dlq {
		out = append(out, letter)
	}
	return out
}

// Results returns every result recorded for the job id.
func (t *Tracker) Results(jobID string) []Finished {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.results[jobID])
}

func percentile(values []time.Duration, q float64) time.Duration {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	index := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[index]
}
