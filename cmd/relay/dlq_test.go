package main

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/localcloud"
)

// dlqFixture is a local cloud with a source queue whose redrive policy names a DLQ that contains
// three messages: one the redrive moved there (no reason attribute) and two that process
// sent directly with a reason.
type dlqFixture struct {
	endpoint  string
	client    *sqs.Client
	sourceURL string
	dlqURL    string
	dlqARN    string
}

// dlqMessages are the DLQ's messages by job id: body, task and the reason `relay dlq list`
// shows.
var dlqMessages = map[string]struct{ body, task, reason string }{
	"job-redriven": {`{"id":"job-redriven","task":"flaky","input":"1000"}`, "flaky", "max-receive-count"},
	"job-invalid":  {`{"id":"job-invalid","task":"verify","input":"not-a-hash relay"}`, "verify", "invalid-input"},
	"job-unknown":  {`{"id":"job-unknown","task":"nope","input":"x"}`, "nope", "unknown-task"},
}

const maxReceiveCount = 5

func newDLQFixture(t *testing.T) *dlqFixture {
	t.Helper()
	server, err := localcloud.NewServer(localcloud.Config{})
	if err != nil {
		t.Fatalf("start local cloud: %v", err)
	}
	t.Cleanup(func() { server.Close() })
	f := &dlqFixture{endpoint: server.URL(), client: sqs.NewFromConfig(testAWSConfig(server.URL()))}
	ctx := context.Background()

	dlq, err := f.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("relay-jobs-dlq")})
	if err != nil {
		t.Fatalf("create DLQ: %v", err)
	}
	f.dlqURL = aws.ToString(dlq.QueueUrl)
	f.dlqARN = f.queueARN(t, f.dlqURL)
	policy, _ := json.Marshal(map[string]string{"deadLetterTargetArn": f.dlqARN, "maxReceiveCount": strconv.Itoa(maxReceiveCount)})
	source, err := f.client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String("relay-jobs"),
		// A visibility timeout of 0 lets the fixture receive a message again at once: the SDK
		// omits a ReceiveMessage VisibilityTimeout of 0, so the queue's own value applies.
		Attributes: map[string]string{"RedrivePolicy": string(policy), "VisibilityTimeout": "0"},
	})
	if err != nil {
		t.Fatalf("create source queue: %v", err)
	}
	f.sourceURL = aws.ToString(source.QueueUrl)

	f.redriveOne(t, "job-redriven")
	for _, id := range []string{"job-invalid", "job-unknown"} {
		m := dlqMessages[id]
		_, err := f.client.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl:    aws.String(f.dlqURL),
			MessageBody: aws.String(m.body),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"reason":        stringAttribute(m.reason),
				"error":         stringAttribute("task " + m.task + " rejected the job"),
				"task":          stringAttribute(m.task),
				"job_id":        stringAttribute(id),
				"receive_count": {DataType: aws.String("Number"), StringValue: aws.String("1")},
			},
		})
		if err != nil {
			t.Fatalf("send %s to the DLQ: %v", id, err)
		}
	}
	if visible, inFlight := f.depth(t, f.dlqURL); visible != 3 || inFlight != 0 {
		t.Fatalf("fixture DLQ has %d visible and %d in-flight messages, want 3 and 0", visible, inFlight)
	}
	return f
}

func stringAttribute(value string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(value)}
}

// redriveOne sends the job to the source queue and receives it until the queue's redrive
// policy moves it to the DLQ.
func (f *dlqFixture) redriveOne(t *testing.T, jobID string) {
	t.Helper()
	ctx := context.Background()
	m := dlqMessages[jobID]
	_, err := f.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(f.sourceURL),
		MessageBody: aws.String(m.body),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"task":   stringAttribute(m.task),
			"job_id": stringAttribute(jobID),
		},
	})
	if err != nil {
		t.Fatalf("send %s to the source queue: %v", jobID, err)
	}
	for range maxReceiveCount + 5 {
		if visible, _ := f.depth(t, f.dlqURL); visible == 1 {
			return
		}
		_, err := f.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(f.sourceURL), WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatalf("receive %s from the source queue: %v", jobID, err)
		}
	}
	t.Fatalf("the redrive policy did not move %s to the DLQ after %d receives", jobID, maxReceiveCount+5)
}

func (f *dlqFixture) queueARN(t *testing.T, url string) string {
	t.Helper()
	out, err := f.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("get the ARN of %s: %v", url, err)
	}
	return out.Attributes[string(types.QueueAttributeNameQueueArn)]
}

// depth returns the queue's visible and in-flight message counts.
func (f *dlqFixture) depth(t *testing.T, url string) (visible, inFlight int) {
	t.Helper()
	out, err := f.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes of %s: %v", url, err)
	}
	visible, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight
}

// receiveJobs receives every visible message of url and returns them by the job_id
// attribute.
func (f *dlqFixture) receiveJobs(t *testing.T, url string) map[string]types.Message {
	t.Helper()
	jobs := map[string]types.Message{}
	for range 10 {
		out, err := f.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatalf("receive from %s: %v", url, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, msg := range out.Messages {
			jobs[aws.ToString(msg.MessageAttributes["job_id"].StringValue)] = msg
		}
	}
	return jobs
}

// dlq runs `relay dlq SUBCOMMAND --dlq-url … --endpoint …` with stdin and more args.
func (f *dlqFixture) dlq(t *testing.T, stdin string, sub string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr lockedBuffer
	full := append([]string{"dlq", sub, "--dlq-url", f.dlqURL, "--endpoint", f.endpoint}, args...)
	err := run(ctx, full, strings.NewReader(stdin), &stdout, &stderr)
	return stdout.String(), err
}

// listedRows returns the rows of `relay dlq list` by job id, each split into its
// space-separated fields.
func listedRows(output string) map[string][]string {
	rows := map[string][]string{}
	for _, line := range strings.Split(output, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 4 && fields[0] != "MESSAGE" && !strings.Contains(line, "message(s) listed") {
			rows[fields[1]] = fields
		}
	}
	return rows
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestDLQListShowsReasonAndKeepsMessages(t *testing.T) {
	t.Parallel()
	f := newDLQFixture(t)

	for round := 1; round <= 2; round++ {
		out, err := f.dlq(t, "", "list")
		if err != nil {
			t.Fatalf("round %d: relay dlq list: %v\n%s", round, err, out)
		}
		rows := listedRows(out)
		if got := sortedKeys(rows); !slices.Equal(got, []string{"job-invalid", "job-redriven", "job-unknown"}) {
			t.Fatalf("round %d: listed job ids = %v, want the 3 in the DLQ; output:\n%s", round, got, out)
		}
		for id, want := range dlqMessages {
			row := rows[id]
			if row[2] != want.task {
				t.Errorf("round %d: %s task = %q, want %q", round, id, row[2], want.task)
			}
			if row[3] != want.reason {
				t.Errorf("round %d: %s reason = %q, want %q", round, id, row[3], want.reason)
			}
		}
		if !strings.Contains(out, "rejected the job") {
			t.Errorf("round %d: output does not show the error attribute:\n%s", round, out)
		}
		if !strings.Contains(out, "3 message(s) listed") {
			t.Errorf("round %d: output does not count 3 messages:\n%s", round, out)
		}

		// Listing receives the messages and releases them at once.
		if visible, inFlight := f.depth(t, f.dlqURL); visible != 3 || inFlight != 0 {
			t.Errorf("round %d: after list the DLQ has %d visible and %d in-flight messages, want 3 and 0", round, visible, inFlight)
		}
	}
}

func TestDLQRedriveByReasonMovesOnlyMatches(t *testing.T) {
	t.Parallel()
	f := newDLQFixture(t)

	out, err := f.dlq(t, "", "redrive", "--reason", "invalid-input")
	if err != nil {
		t.Fatalf("relay dlq redrive --reason invalid-input: %v\n%s", err, out)
	}
	if !strings.Contains(out, `1 message(s) with reason "invalid-input" moved`) || !strings.Contains(out, "2 left") {
		t.Errorf("output does not report 1 moved and 2 left:\n%s", out)
	}

	moved := f.receiveJobs(t, f.sourceURL)
	if got := sortedKeys(moved); !slices.Equal(got, []string{"job-invalid"}) {
		t.Fatalf("source queue contains jobs %v, want only job-invalid", got)
	}
	msg := moved["job-invalid"]
	if got := aws.ToString(msg.Body); got != dlqMessages["job-invalid"].body {
		t.Errorf("moved body = %q, want %q", got, dlqMessages["job-invalid"].body)
	}
	if got := aws.ToString(msg.MessageAttributes["task"].StringValue); got != "verify" {
		t.Errorf("moved task attribute = %q, want verify", got)
	}
	for _, name := range []string{"reason", "error", "receive_count"} {
		if _, ok := msg.MessageAttributes[name]; ok {
			t.Errorf("moved message still has the DLQ attribute %q", name)
		}
	}

	if visible, inFlight := f.depth(t, f.dlqURL); visible != 2 || inFlight != 0 {
		t.Errorf("DLQ has %d visible and %d in-flight messages, want the 2 others visible", visible, inFlight)
	}
	if got := sortedKeys(f.receiveJobs(t, f.dlqURL)); !slices.Equal(got, []string{"job-redriven", "job-unknown"}) {
		t.Errorf("DLQ contains jobs %v, want job-redriven and job-unknown", got)
	}
}

func TestDLQRedriveAllStartsMoveTask(t *testing.T) {
	t.Parallel()
	f := newDLQFixture(t)

	out, err := f.dlq(t, "", "redrive")
	if err != nil {
		t.Fatalf("relay dlq redrive: %v\n%s", err, out)
	}
	if !strings.Contains(out, "message move task") {
		t.Errorf("output does not name the message move task:\n%s", out)
	}

	var task types.ListMessageMoveTasksResultEntry
	deadline := time.Now().Add(10 * time.Second)
	for {
		tasks, err := f.client.ListMessageMoveTasks(context.Background(), &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(f.dlqARN)})
		if err != nil {
			t.Fatalf("ListMessageMoveTasks: %v", err)
		}
		if len(tasks.Results) > 0 && aws.ToString(tasks.Results[0].Status) != "RUNNING" {
			task = tasks.Results[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message move task did not finish within 10s: %+v", tasks.Results)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := aws.ToString(task.Status); got != "COMPLETED" {
		t.Errorf("move task status = %q, want COMPLETED (failure reason %q)", got, aws.ToString(task.FailureReason))
	}
	if task.ApproximateNumberOfMessagesMoved != 3 {
		t.Errorf("move task moved %d messages, want 3", task.ApproximateNumberOfMessagesMoved)
	}

	moved := f.receiveJobs(t, f.sourceURL)
	if got := sortedKeys(moved); !slices.Equal(got, []string{"job-invalid", "job-redriven", "job-unknown"}) {
		t.Errorf("source queue contains jobs %v, want all 3", got)
	}
	for id, msg := range moved {
		if got := aws.ToString(msg.Body); got != dlqMessages[id].body {
			t.Errorf("%s body = %q, want %q", id, got, dlqMessages[id].body)
		}
	}
	if visible, inFlight := f.depth(t, f.dlqURL); visible+inFlight != 0 {
		t.Errorf("DLQ still has %d visible and %d in-flight messages", visible, inFlight)
	}
}

func TestDLQPurgeAsksForQueueName(t *testing.T) {
	t.Parallel()
	f := newDLQFixture(t)

	tests := []struct {
		name  string
		stdin string
		want  []string // substrings of the error
	}{
		{"wrong name", "relay-jobs\n", []string{`"relay-jobs"`, `"relay-jobs-dlq"`}},
		{"empty input", "", []string{"--yes"}},
		{"blank line", "\n", []string{`"" does not match`}},
	}
	for _, tt := range tests {
		out, err := f.dlq(t, tt.stdin, "purge")
		if err == nil {
			t.Fatalf("%s: purge succeeded, want it cancelled; output:\n%s", tt.name, out)
		}
		for _, want := range tt.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not contain %q", tt.name, err, want)
			}
		}
		if !strings.Contains(out, "Type the queue name (relay-jobs-dlq)") {
			t.Errorf("%s: no confirmation prompt naming the queue:\n%s", tt.name, out)
		}
		if visible, _ := f.depth(t, f.dlqURL); visible != 3 {
			t.Fatalf("%s: DLQ has %d messages after a cancelled purge, want 3", tt.name, visible)
		}
	}

	out, err := f.dlq(t, "relay-jobs-dlq\n", "purge")
	if err != nil {
		t.Fatalf("purge confirmed with the queue name: %v\n%s", err, out)
	}
	if !strings.Contains(out, "purged "+f.dlqURL) {
		t.Errorf("output does not report the purge:\n%s", out)
	}
	if visible, inFlight := f.depth(t, f.dlqURL); visible+inFlight != 0 {
		t.Errorf("DLQ has %d visible and %d in-flight messages after purge, want none", visible, inFlight)
	}
	if visible, _ := f.depth(t, f.sourceURL); visible != 0 {
		t.Errorf("source queue has %d messages; purge should touch only the DLQ", visible)
	}
}

func TestDLQPurgeWithYesSkipsPrompt(t *testing.T) {
	t.Parallel()
	f := newDLQFixture(t)

	out, err := f.dlq(t, "", "purge", "--yes")
	if err != nil {
		t.Fatalf("relay dlq purge --yes: %v\n%s", err, out)
	}
	if strings.Contains(out, "Type the queue name") {
		t.Errorf("purge --yes asked for confirmation:\n%s", out)
	}
	if visible, inFlight := f.depth(t, f.dlqURL); visible+inFlight != 0 {
		t.Errorf("DLQ has %d visible and %d in-flight messages after purge --yes, want none", visible, inFlight)
	}
}
