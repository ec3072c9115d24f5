package sqs

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func attributeNames(m types.Message) []string {
	var names []string
	for name := range m.MessageAttributes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// expectedAttributesMD5 computes MD5OfMessageAttributes for the SDK's attribute values.
func expectedAttributesMD5(attrs map[string]types.MessageAttributeValue) string {
	var list []messageAttribute
	for name, v := range attrs {
		a := messageAttribute{name: name, dataType: aws.ToString(v.DataType), stringValue: aws.ToString(v.StringValue), binaryValue: v.BinaryValue}
		a.binary = baseDataType(a.dataType) == "Binary"
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	return hexSum(attributesMD5(list))
}

var receiveCases = []conformanceCase{
	{name: "ReceiveMessage attribute selection", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		attrs := map[string]types.MessageAttributeValue{
			"order.id":    stringAttr("42"),
			"order.total": {DataType: aws.String("Number"), StringValue: aws.String("9.5")},
			"task":        stringAttr("resize"),
			"blob":        {DataType: aws.String("Binary"), BinaryValue: []byte{0xff, 0x00, 0x10}},
		}
		cases := []struct {
			names []string
			want  []string
		}{
			{nil, nil},
			{[]string{"All"}, []string{"blob", "order.id", "order.total", "task"}},
			{[]string{".*"}, []string{"blob", "order.id", "order.total", "task"}},
			{[]string{"order.*"}, []string{"order.id", "order.total"}},
			{[]string{"task", "blob"}, []string{"blob", "task"}},
			{[]string{"missing"}, nil},
		}
		for _, tc := range cases {
			_, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageAttributes: attrs})
			if err != nil {
				t.Fatal(err)
			}
			msgs := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, MessageAttributeNames: tc.names, VisibilityTimeout: 60})
			if len(msgs) != 1 {
				t.Fatalf("names %v: received %d messages", tc.names, len(msgs))
			}
			got := attributeNames(msgs[0])
			if strconv.Quote(fmt.Sprint(got)) != strconv.Quote(fmt.Sprint(tc.want)) {
				t.Errorf("names %v: attributes %v, want %v", tc.names, got, tc.want)
			}
			wantMD5 := ""
			if len(tc.want) > 0 {
				wantMD5 = expectedAttributesMD5(msgs[0].MessageAttributes)
			}
			if got := aws.ToString(msgs[0].MD5OfMessageAttributes); got != wantMD5 {
				t.Errorf("names %v: MD5OfMessageAttributes = %q, want %q", tc.names, got, wantMD5)
			}
			if len(tc.want) == 4 && string(msgs[0].MessageAttributes["blob"].BinaryValue) != "\xff\x00\x10" {
				t.Errorf("binary attribute = %x", msgs[0].MessageAttributes["blob"].BinaryValue)
			}
			if _, err := env.client.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{name: "ReceiveMessage system attributes", fake: true, run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		sentAt := env.clock.Now().UnixMilli()
		env.send(t, url, "x")
		env.clock.Advance(2 * time.Second)
		firstAt := env.clock.Now().UnixMilli()
		first := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 5,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
		env.clock.Advance(6 * time.Second)
		second := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"}})
		if len(first) != 1 || len(second) != 1 {
			t.Fatalf("received %d then %d messages, want 1 and 1", len(first), len(second))
		}
		want := map[string]string{
			"SenderId": "AKIDLOCAL", "SentTimestamp": strconv.FormatInt(sentAt, 10),
			"ApproximateReceiveCount": "1", "ApproximateFirstReceiveTimestamp": strconv.FormatInt(firstAt, 10),
		}
		for k, v := range want {
			if first[0].Attributes[k] != v {
				t.Errorf("first receive: %s = %q, want %q", k, first[0].Attributes[k], v)
			}
		}
		if len(second[0].Attributes) != 2 || second[0].Attributes["ApproximateReceiveCount"] != "2" ||
			second[0].Attributes["ApproximateFirstReceiveTimestamp"] != strconv.FormatInt(firstAt, 10) {
			t.Errorf("second receive attributes = %v, want count 2 and the first receive time", second[0].Attributes)
		}
		if aws.ToString(first[0].ReceiptHandle) == aws.ToString(second[0].ReceiptHandle) {
			t.Errorf("two receives returned the same receipt handle")
		}
		// The older AttributeNames parameter works too; clients of SDKs before
		// MessageSystemAttributeNames still send it.
		env.clock.Advance(31 * time.Second)
		old := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"SentTimestamp"}}) //lint:ignore SA1019 the deprecated parameter is what this case tests
		if len(old) != 1 || old[0].Attributes["SentTimestamp"] != want["SentTimestamp"] {
			t.Errorf("AttributeNames SentTimestamp: %+v", old)
		}
		_, err := env.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"Colour"}})
		expectAPIError[*types.InvalidAttributeName](t, err)
	}},
	{name: "ReceiveMessage parameter ranges", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		for _, in := range []*awssqs.ReceiveMessageInput{
			{QueueUrl: &url, MaxNumberOfMessages: 11},
			{QueueUrl: &url, MaxNumberOfMessages: -1},
			{QueueUrl: &url, WaitTimeSeconds: 21},
			{QueueUrl: &url, VisibilityTimeout: 43201},
		} {
			_, err := env.client.ReceiveMessage(ctx, in)
			expectCode(t, err, "InvalidParameterValue")
		}
	}},
	{name: "ReceiveMessage up to MaxNumberOfMessages", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		for i := 0; i < 15; i++ {
			env.send(t, url, strconv.Itoa(i))
		}
		if got := len(env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url})); got != 1 {
			t.Errorf("default receive returned %d messages, want 1", got)
		}
		if got := len(env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})); got != 10 {
			t.Errorf("receive of 10 returned %d messages", got)
		}
		if got := len(env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})); got != 4 {
			t.Errorf("receive of the rest returned %d messages, want 4", got)
		}
		env.expectCounts(t, url, "0", "15", "0")
	}},
	{name: "per-message and queue delay", fake: true, run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		_, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("later"), DelaySeconds: 10})
		if err != nil {
			t.Fatal(err)
		}
		env.expectCounts(t, url, "0", "0", "1")
		env.clock.Advance(9 * time.Second)
		if msgs := env.receiveAll(t, url); len(msgs) != 0 {
			t.Fatalf("received %d messages before the delay ended", len(msgs))
		}
		env.clock.Advance(time.Second)
		env.expectCounts(t, url, "1", "0", "0")

		delayed := env.createQueue(t, "delayed", map[string]string{"DelaySeconds": "20"})
		env.send(t, delayed, "queue delay")
		env.clock.Advance(19 * time.Second)
		env.expectCounts(t, delayed, "0", "0", "1")
		env.clock.Advance(time.Second)
		if msgs := env.receiveAll(t, delayed); len(msgs) != 1 {
			t.Fatalf("received %d messages after the queue delay, want 1", len(msgs))
		}
		// A message delay overrides the queue's.
		_, err = env.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &delayed, Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("a"), MessageBody: aws.String("a"), DelaySeconds: 1},
		}})
		if err != nil {
			t.Fatal(err)
		}
		env.clock.Advance(time.Second)
		if msgs := env.receiveAll(t, delayed); len(msgs) != 1 {
			t.Fatalf("received %d messages after a 1 s entry delay, want 1", len(msgs))
		}
		_, err = env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 901})
		expectCode(t, err, "InvalidParameterValue")
	}},
	{name: "retention expiry", fake: true, run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", map[string]string{"MessageRetentionPeriod": "60"})
		env.send(t, url, "old")
		env.clock.Advance(30 * time.Second)
		env.send(t, url, "new")
		env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 600, MaxNumberOfMessages: 1})
		env.clock.Advance(31 * time.Second)
		env.expectCounts(t, url, "1", "0", "0")
		msgs := env.receiveAll(t, url)
		if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "new" {
			t.Fatalf("received %+v, want only the new message", msgs)
		}
		env.clock.Advance(30 * time.Second)
		env.expectCounts(t, url, "0", "0", "0")
	}},
	{name: "long poll returns on send", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		type result struct {
			msgs    []types.Message
			elapsed time.Duration
			err     error
		}
		done := make(chan result, 1)
		start := time.Now()
		go func() {
			out, err := env.client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
			r := result{elapsed: time.Since(start), err: err}
			if out != nil {
				r.msgs = out.Messages
			}
			done <- r
		}()
		time.Sleep(200 * time.Millisecond)
		env.send(t, url, "wake")
		r := <-done
		if r.err != nil || len(r.msgs) != 1 {
			t.Fatalf("long poll: %v, %d messages", r.err, len(r.msgs))
		}
		if r.elapsed > 10*time.Second {
			t.Fatalf("long poll took %v after a send at 200 ms", r.elapsed)
		}
	}},
	{name: "long poll waits out the wait time", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", map[string]string{"ReceiveMessageWaitTimeSeconds": "1"})
		start := time.Now()
		msgs := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url})
		if elapsed := time.Since(start); len(msgs) != 0 || elapsed < 900*time.Millisecond || elapsed > 10*time.Second {
			t.Fatalf("queue wait time 1 s: %d messages after %v", len(msgs), elapsed)
		}
	}},
	{name: "long poll returns when a delay ends", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		_, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		msgs := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 15})
		if elapsed := time.Since(start); len(msgs) != 1 || elapsed > 10*time.Second {
			t.Fatalf("long poll over a 1 s delay: %d messages after %v", len(msgs), elapsed)
		}
	}},
	{name: "long poll of a canceled client takes nothing", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		pollCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := env.client.ReceiveMessage(pollCtx, &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
			done <- err
		}()
		time.Sleep(200 * time.Millisecond)
		cancel()
		if err := <-done; err == nil {
			t.Fatalf("canceled receive returned no error")
		}
		time.Sleep(100 * time.Millisecond) // let the server see the connection close
		env.send(t, url, "after cancel")
		msgs := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 5})
		if len(msgs) != 1 {
			t.Fatalf("received %d messages after the canceled long poll, want 1", len(msgs))
		}
		v, n, _ := env.counts(t, url)
		if v != "0" || n != "1" {
			t.Fatalf("counts visible %s, in flight %s, want 0 and 1", v, n)
		}
	}},
}

func hexSum(sum [16]byte) string { return hex.EncodeToString(sum[:]) }
