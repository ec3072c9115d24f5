package sqs

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

var deleteAndVisibilityCases = []conformanceCase{
	{name: "visibility timeout per queue and per receive", fake: true, run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", map[string]string{"VisibilityTimeout": "40"})
		env.send(t, url, "x")
		if got := len(env.receiveAll(t, url)); got != 1 {
			t.Fatalf("first receive: %d messages", got)
		}
		env.expectCounts(t, url, "0", "1", "0")
		env.clock.Advance(39 * time.Second)
		if got := len(env.receiveAll(t, url)); got != 0 {
			t.Fatalf("receive during the visibility timeout: %d messages", got)
		}
		env.clock.Advance(time.Second)
		env.expectCounts(t, url, "1", "0", "0")
		msgs := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 5})
		if len(msgs) != 1 {
			t.Fatalf("second receive: %d messages", len(msgs))
		}
		env.clock.Advance(5 * time.Second)
		if got := len(env.receiveAll(t, url)); got != 1 {
			t.Fatalf("receive after the 5 s override: %d messages", got)
		}
	}},
	{name: "ChangeMessageVisibility", fake: true, run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		env.send(t, url, "x")
		msgs := env.receiveAll(t, url)
		handle := msgs[0].ReceiptHandle
		if _, err := env.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: handle, VisibilityTimeout: 100}); err != nil {
			t.Fatal(err)
		}
		env.clock.Advance(99 * time.Second)
		if got := len(env.receiveAll(t, url)); got != 0 {
			t.Fatalf("received %d messages before the changed timeout ended", got)
		}
		if _, err := env.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: handle, VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
		again := env.receiveAll(t, url)
		if len(again) != 1 {
			t.Fatalf("received %d messages after a timeout of 0", len(again))
		}
		// The old handle is stale now.
		_, err := env.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: handle, VisibilityTimeout: 10})
		expectCode(t, err, "InvalidParameterValue")
		// After the visibility timeout ends, the message is no longer in flight.
		env.clock.Advance(31 * time.Second)
		_, err = env.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: again[0].ReceiptHandle, VisibilityTimeout: 10})
		expectAPIError[*types.MessageNotInflight](t, err)
		_, err = env.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 10})
		expectAPIError[*types.ReceiptHandleIsInvalid](t, err)
		third := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 43200})
		_, err = env.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: third[0].ReceiptHandle, VisibilityTimeout: 43201})
		expectCode(t, err, "InvalidParameterValue")
		// 12 hours in flight is the most per receive.
		env.clock.Advance(time.Hour)
		_, err = env.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: third[0].ReceiptHandle, VisibilityTimeout: 43200})
		expectCode(t, err, "InvalidParameterValue")
		_, err = env.client.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: third[0].ReceiptHandle, VisibilityTimeout: 39600})
		if err != nil {
			t.Fatalf("visibility up to 12 h after the receive: %v", err)
		}
	}},
	{name: "DeleteMessage receipt handles", fake: true, run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		env.send(t, url, "x")
		first := env.receiveAll(t, url)
		env.clock.Advance(30 * time.Second)
		second := env.receiveAll(t, url)
		if len(first) != 1 || len(second) != 1 {
			t.Fatalf("received %d then %d", len(first), len(second))
		}
		// As in SQS, an old receipt handle is accepted and deletes nothing.
		if _, err := env.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle}); err != nil {
			t.Fatalf("DeleteMessage with an old handle: %v", err)
		}
		env.expectCounts(t, url, "0", "1", "0")
		if _, err := env.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: second[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
		env.expectCounts(t, url, "0", "0", "0")
		// Deleting twice is no error.
		if _, err := env.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: second[0].ReceiptHandle}); err != nil {
			t.Fatalf("second DeleteMessage: %v", err)
		}
		_, err := env.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("not-a-handle")})
		expectAPIError[*types.ReceiptHandleIsInvalid](t, err)
		// A handle from another queue is invalid here.
		other := env.createQueue(t, "other", nil)
		env.send(t, other, "y")
		otherMsgs := env.receiveAll(t, other)
		_, err = env.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: otherMsgs[0].ReceiptHandle})
		expectAPIError[*types.ReceiptHandleIsInvalid](t, err)
	}},
	{name: "DeleteMessage after visibility ended", fake: true, run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		env.send(t, url, "x")
		msgs := env.receiveAll(t, url)
		env.clock.Advance(31 * time.Second)
		env.expectCounts(t, url, "1", "0", "0")
		if _, err := env.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
		env.expectCounts(t, url, "0", "0", "0")
		if got := len(env.receiveAll(t, url)); got != 0 {
			t.Fatalf("received %d messages after deleting the visible message", got)
		}
	}},
	{name: "DeleteMessageBatch", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		for i := 0; i < 3; i++ {
			env.send(t, url, strconv.Itoa(i))
		}
		msgs := env.receiveAll(t, url)
		entries := []types.DeleteMessageBatchRequestEntry{{Id: aws.String("bad"), ReceiptHandle: aws.String("bogus")}}
		for i, m := range msgs {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		out, err := env.client.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 3 || len(out.Failed) != 1 {
			t.Fatalf("Successful %d, Failed %d, want 3 and 1", len(out.Successful), len(out.Failed))
		}
		if f := out.Failed[0]; aws.ToString(f.Id) != "bad" || aws.ToString(f.Code) != "ReceiptHandleIsInvalid" || !f.SenderFault {
			t.Fatalf("Failed entry = %+v", f)
		}
		env.expectCounts(t, url, "0", "0", "0")
		_, err = env.client.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []types.DeleteMessageBatchRequestEntry{
			{Id: aws.String("a"), ReceiptHandle: aws.String("x")}, {Id: aws.String("a"), ReceiptHandle: aws.String("y")},
		}})
		expectAPIError[*types.BatchEntryIdsNotDistinct](t, err)
		_, err = env.client.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []types.DeleteMessageBatchRequestEntry{}})
		expectAPIError[*types.EmptyBatchRequest](t, err)
	}},
	{name: "ChangeMessageVisibilityBatch", fake: true, run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		env.send(t, url, "a")
		env.send(t, url, "b")
		msgs := env.receiveAll(t, url)
		out, err := env.client.ChangeMessageVisibilityBatch(ctx, &awssqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
			{Id: aws.String("zero"), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0},
			{Id: aws.String("long"), ReceiptHandle: msgs[1].ReceiptHandle, VisibilityTimeout: 300},
			{Id: aws.String("bad"), ReceiptHandle: aws.String("bogus"), VisibilityTimeout: 5},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 2 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "ReceiptHandleIsInvalid" {
			t.Fatalf("Successful %+v, Failed %+v", out.Successful, out.Failed)
		}
		env.expectCounts(t, url, "1", "1", "0")
		env.clock.Advance(299 * time.Second)
		env.expectCounts(t, url, "1", "1", "0")
		env.clock.Advance(time.Second)
		env.expectCounts(t, url, "2", "0", "0")
	}},
}

var redriveCases = []conformanceCase{
	{name: "redrive at maxReceiveCount", fake: true, run: func(t *testing.T, env *testEnv) {
		dlq := env.createQueue(t, "jobs-dlq", nil)
		url := env.createQueue(t, "jobs", map[string]string{
			"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":2}`,
		})
		sent, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("poison"),
			MessageAttributes: map[string]types.MessageAttributeValue{"task": stringAttr("resize")}})
		if err != nil {
			t.Fatal(err)
		}
		sentAt := strconv.FormatInt(env.clock.Now().UnixMilli(), 10)
		for i := 1; i <= 2; i++ {
			env.clock.Advance(31 * time.Second)
			msgs := env.receiveAll(t, url)
			if len(msgs) != 1 || msgs[0].Attributes["ApproximateReceiveCount"] != strconv.Itoa(i) {
				t.Fatalf("receive %d: %+v", i, msgs)
			}
			env.expectCounts(t, dlq, "0", "0", "0")
		}
		env.clock.Advance(31 * time.Second)
		if msgs := env.receiveAll(t, url); len(msgs) != 0 {
			t.Fatalf("third receive returned %d messages, want the message moved to the DLQ", len(msgs))
		}
		env.expectCounts(t, url, "0", "0", "0")
		env.expectCounts(t, dlq, "1", "0", "0")
		moved := env.receiveAll(t, dlq)
		if len(moved) != 1 {
			t.Fatalf("DLQ receive: %d messages", len(moved))
		}
		m := moved[0]
		if aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || aws.ToString(m.Body) != "poison" {
			t.Errorf("DLQ message id %s body %q, want %s and poison", aws.ToString(m.MessageId), aws.ToString(m.Body), aws.ToString(sent.MessageId))
		}
		if aws.ToString(m.MessageAttributes["task"].StringValue) != "resize" || aws.ToString(m.MD5OfMessageAttributes) != aws.ToString(sent.MD5OfMessageAttributes) {
			t.Errorf("DLQ message attributes %v", m.MessageAttributes)
		}
		if m.Attributes["SentTimestamp"] != sentAt {
			t.Errorf("DLQ SentTimestamp %s, want the original %s", m.Attributes["SentTimestamp"], sentAt)
		}
		if m.Attributes["DeadLetterQueueSourceArn"] != "arn:aws:sqs:us-east-1:000000000000:jobs" {
			t.Errorf("DeadLetterQueueSourceArn = %q", m.Attributes["DeadLetterQueueSourceArn"])
		}
	}},
	{name: "message move task back to source", run: func(t *testing.T, env *testEnv) {
		dlq := env.createQueue(t, "dlq", map[string]string{"VisibilityTimeout": "0"})
		url := env.createQueue(t, "jobs", map[string]string{
			"VisibilityTimeout": "0",
			"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":1}`,
		})
		for i := 0; i < 5; i++ {
			env.send(t, url, strconv.Itoa(i))
		}
		env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
		env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
		env.expectCounts(t, dlq, "5", "0", "0")

		dlqARN := "arn:aws:sqs:us-east-1:000000000000:dlq"
		start, err := env.client.StartMessageMoveTask(ctx, &awssqs.StartMessageMoveTaskInput{SourceArn: &dlqARN})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(start.TaskHandle) == "" {
			t.Fatalf("no TaskHandle")
		}
		task := waitForTask(t, env, dlqARN)
		if task.Status == nil || *task.Status != "COMPLETED" || task.ApproximateNumberOfMessagesMoved != 5 || task.ApproximateNumberOfMessagesToMove == nil || *task.ApproximateNumberOfMessagesToMove != 5 {
			t.Fatalf("task = %+v", task)
		}
		if task.TaskHandle != nil {
			t.Errorf("finished task lists TaskHandle %s", *task.TaskHandle)
		}
		env.expectCounts(t, dlq, "0", "0", "0")
		msgs := env.receiveAll(t, url)
		if len(msgs) != 5 || msgs[0].Attributes["ApproximateReceiveCount"] != "1" {
			t.Fatalf("source queue after the move: %d messages, first %v", len(msgs), msgs[0].Attributes)
		}
	}},
	{name: "message move task to DestinationArn with a rate", run: func(t *testing.T, env *testEnv) {
		dlq := env.createQueue(t, "dlq", nil)
		env.createQueue(t, "jobs", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}`})
		target := env.createQueue(t, "replay", nil)
		for i := 0; i < 3; i++ {
			env.send(t, dlq, strconv.Itoa(i)) // sent directly, so no DeadLetterQueueSourceArn
		}
		dlqARN := "arn:aws:sqs:us-east-1:000000000000:dlq"
		_, err := env.client.StartMessageMoveTask(ctx, &awssqs.StartMessageMoveTaskInput{
			SourceArn: &dlqARN, DestinationArn: aws.String("arn:aws:sqs:us-east-1:000000000000:replay"), MaxNumberOfMessagesPerSecond: aws.Int32(50),
		})
		if err != nil {
			t.Fatal(err)
		}
		task := waitForTask(t, env, dlqARN)
		if aws.ToString(task.Status) != "COMPLETED" || aws.ToString(task.DestinationArn) != "arn:aws:sqs:us-east-1:000000000000:replay" || aws.ToInt32(task.MaxNumberOfMessagesPerSecond) != 50 {
			t.Fatalf("task = %+v", task)
		}
		env.expectCounts(t, target, "3", "0", "0")
	}},
	{name: "message move task errors", run: func(t *testing.T, env *testEnv) {
		env.createQueue(t, "plain", nil)
		_, err := env.client.StartMessageMoveTask(ctx, &awssqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:missing")})
		expectAPIError[*types.ResourceNotFoundException](t, err)
		_, err = env.client.StartMessageMoveTask(ctx, &awssqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:plain")})
		expectCode(t, err, "InvalidParameterValue")
		env.createQueue(t, "dlq", nil)
		env.createQueue(t, "jobs", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}`})
		_, err = env.client.StartMessageMoveTask(ctx, &awssqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:dlq"), MaxNumberOfMessagesPerSecond: aws.Int32(501)})
		expectCode(t, err, "InvalidParameterValue")
		_, err = env.client.ListMessageMoveTasks(ctx, &awssqs.ListMessageMoveTasksInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:missing")})
		expectAPIError[*types.ResourceNotFoundException](t, err)
		out, err := env.client.ListMessageMoveTasks(ctx, &awssqs.ListMessageMoveTasksInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:dlq")})
		if err != nil || len(out.Results) != 0 {
			t.Fatalf("ListMessageMoveTasks before any task: %+v, %v", out, err)
		}
	}},
	{name: "message move task cancel", run: func(t *testing.T, env *testEnv) {
		dlq := env.createQueue(t, "dlq", nil)
		env.createQueue(t, "jobs", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}`})
		for i := 0; i < 20; i++ {
			env.send(t, dlq, strconv.Itoa(i))
		}
		dlqARN := "arn:aws:sqs:us-east-1:000000000000:dlq"
		start, err := env.client.StartMessageMoveTask(ctx, &awssqs.StartMessageMoveTaskInput{SourceArn: &dlqARN, MaxNumberOfMessagesPerSecond: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = env.client.StartMessageMoveTask(ctx, &awssqs.StartMessageMoveTaskInput{SourceArn: &dlqARN})
		expectAPIError[*types.UnsupportedOperation](t, err)
		running, err := env.client.ListMessageMoveTasks(ctx, &awssqs.ListMessageMoveTasksInput{SourceArn: &dlqARN})
		if err != nil || len(running.Results) != 1 || aws.ToString(running.Results[0].Status) != "RUNNING" || aws.ToString(running.Results[0].TaskHandle) != aws.ToString(start.TaskHandle) {
			t.Fatalf("running task: %+v, %v", running, err)
		}
		if _, err := env.client.CancelMessageMoveTask(ctx, &awssqs.CancelMessageMoveTaskInput{TaskHandle: start.TaskHandle}); err != nil {
			t.Fatal(err)
		}
		task := waitForTask(t, env, dlqARN)
		if aws.ToString(task.Status) != "CANCELLED" || task.ApproximateNumberOfMessagesMoved >= 20 {
			t.Fatalf("canceled task = %+v", task)
		}
	}},
}

// waitForTask polls ListMessageMoveTasks for up to 10 s until the latest task of source is no
// longer running, and returns it.
func waitForTask(t *testing.T, env *testEnv, sourceARN string) types.ListMessageMoveTasksResultEntry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := env.client.ListMessageMoveTasks(ctx, &awssqs.ListMessageMoveTasksInput{SourceArn: &sourceARN, MaxResults: aws.Int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Results) > 0 && aws.ToString(out.Results[0].Status) != "RUNNING" {
			return out.Results[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("move task of %s still running after 10 s: %+v", sourceARN, out.Results)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
