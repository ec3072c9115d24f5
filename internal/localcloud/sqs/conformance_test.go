package sqs

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

var ctx = context.Background()

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func stringAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// expectCode checks that err is an SDK API error with the given error code.
func expectCode(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v (%T), want an API error with code %s", err, err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("error code = %s (%v), want %s", apiErr.ErrorCode(), err, code)
	}
}

// conformanceCase is one behaviour of SQS checked through aws-sdk-go-v2. fake selects a
// service on a fake clock.
type conformanceCase struct {
	name string
	fake bool
	run  func(t *testing.T, env *testEnv)
}

func TestConformance(t *testing.T) {
	var cases []conformanceCase
	cases = append(cases, queueCases...)
	cases = append(cases, sendCases...)
	cases = append(cases, receiveCases...)
	cases = append(cases, deleteAndVisibilityCases...)
	cases = append(cases, redriveCases...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newTestEnv(t, tc.fake))
		})
	}
}

var queueCases = []conformanceCase{
	{name: "CreateQueue returns URL and ARN", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		if want := env.server.URL + "/000000000000/jobs"; url != want {
			t.Fatalf("QueueUrl = %s, want %s", url, want)
		}
		out, err := env.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"QueueArn"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Attributes["QueueArn"]; got != "arn:aws:sqs:us-east-1:000000000000:jobs" {
			t.Fatalf("QueueArn = %s", got)
		}
		if len(out.Attributes) != 1 {
			t.Fatalf("asked for QueueArn, got attributes %v", out.Attributes)
		}
	}},
	{name: "CreateQueue same attributes succeeds", run: func(t *testing.T, env *testEnv) {
		first := env.createQueue(t, "jobs", map[string]string{"VisibilityTimeout": "60"})
		second := env.createQueue(t, "jobs", map[string]string{"VisibilityTimeout": "60"})
		third := env.createQueue(t, "jobs", nil)
		if first != second || first != third {
			t.Fatalf("URLs differ: %s %s %s", first, second, third)
		}
	}},
	{name: "CreateQueue different attributes fails", run: func(t *testing.T, env *testEnv) {
		env.createQueue(t, "jobs", map[string]string{"VisibilityTimeout": "60"})
		_, err := env.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{"VisibilityTimeout": "30"}})
		exists := expectAPIError[*types.QueueNameExists](t, err)
		if exists.ErrorCode() != "QueueAlreadyExists" {
			t.Fatalf("ErrorCode = %s, want QueueAlreadyExists", exists.ErrorCode())
		}
		// An explicit default differs from a queue that changed it, and equals one that did not.
		env.createQueue(t, "plain", nil)
		env.createQueue(t, "plain", map[string]string{"VisibilityTimeout": "30", "DelaySeconds": "0"})
	}},
	{name: "CreateQueue invalid name", run: func(t *testing.T, env *testEnv) {
		for _, name := range []string{"has space", strings.Repeat("a", 81), "dot.name"} {
			_, err := env.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(name)})
			expectCode(t, err, "InvalidParameterValue")
		}
		_, err := env.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("jobs.fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
		expectAPIError[*types.UnsupportedOperation](t, err)
	}},
	{name: "CreateQueue invalid attributes", run: func(t *testing.T, env *testEnv) {
		for attr, value := range map[string]string{
			"VisibilityTimeout":             "43201",
			"DelaySeconds":                  "901",
			"MaximumMessageSize":            "1023",
			"MessageRetentionPeriod":        "59",
			"ReceiveMessageWaitTimeSeconds": "21",
			"RedrivePolicy":                 `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:missing","maxReceiveCount":3}`,
		} {
			_, err := env.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{attr: value}})
			expectAPIError[*types.InvalidAttributeValue](t, err)
		}
		_, err := env.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"Colour": "blue"}})
		expectAPIError[*types.InvalidAttributeName](t, err)
		_, err = env.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"QueueArn": "x"}})
		expectAPIError[*types.InvalidAttributeName](t, err)
	}},
	{name: "GetQueueUrl", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		out, err := env.client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String("jobs")})
		if err != nil || aws.ToString(out.QueueUrl) != url {
			t.Fatalf("GetQueueUrl = %v, %v, want %s", out, err, url)
		}
		_, err = env.client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String("nope")})
		missing := expectAPIError[*types.QueueDoesNotExist](t, err)
		if missing.ErrorCode() != "AWS.SimpleQueueService.NonExistentQueue" {
			t.Fatalf("ErrorCode = %s", missing.ErrorCode())
		}
		_, err = env.client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String("jobs"), QueueOwnerAWSAccountId: aws.String("111111111111")})
		expectAPIError[*types.QueueDoesNotExist](t, err)
	}},
	{name: "ListQueues prefix and pages", run: func(t *testing.T, env *testEnv) {
		for _, name := range []string{"relay-a", "relay-b", "relay-c", "other"} {
			env.createQueue(t, name, nil)
		}
		out, err := env.client.ListQueues(ctx, &awssqs.ListQueuesInput{QueueNamePrefix: aws.String("relay-")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.QueueUrls) != 3 || out.NextToken != nil {
			t.Fatalf("ListQueues relay- = %v, next %v", out.QueueUrls, out.NextToken)
		}
		var pages [][]string
		pager := awssqs.NewListQueuesPaginator(env.client, &awssqs.ListQueuesInput{MaxResults: aws.Int32(3)})
		for pager.HasMorePages() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, page.QueueUrls)
		}
		if len(pages) != 2 || len(pages[0]) != 3 || len(pages[1]) != 1 {
			t.Fatalf("pages = %v, want 3 then 1 URL", pages)
		}
		empty, err := env.client.ListQueues(ctx, &awssqs.ListQueuesInput{QueueNamePrefix: aws.String("zzz")})
		if err != nil || len(empty.QueueUrls) != 0 {
			t.Fatalf("ListQueues zzz = %v, %v", empty.QueueUrls, err)
		}
	}},
	{name: "GetQueueAttributes All defaults", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		out, err := env.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"VisibilityTimeout": "30", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
			"DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0", "ApproximateNumberOfMessages": "0",
			"ApproximateNumberOfMessagesNotVisible": "0", "ApproximateNumberOfMessagesDelayed": "0",
			"QueueArn": "arn:aws:sqs:us-east-1:000000000000:jobs", "SqsManagedSseEnabled": "true",
		}
		for k, v := range want {
			if out.Attributes[k] != v {
				t.Errorf("attribute %s = %q, want %q", k, out.Attributes[k], v)
			}
		}
		for _, k := range []string{"CreatedTimestamp", "LastModifiedTimestamp"} {
			if _, err := strconv.ParseInt(out.Attributes[k], 10, 64); err != nil {
				t.Errorf("attribute %s = %q, want unix seconds", k, out.Attributes[k])
			}
		}
		if _, ok := out.Attributes["RedrivePolicy"]; ok {
			t.Errorf("RedrivePolicy present on a queue without one")
		}
		_, err = env.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"Colour"}})
		expectAPIError[*types.InvalidAttributeName](t, err)
	}},
	{name: "SetQueueAttributes and RedrivePolicy", run: func(t *testing.T, env *testEnv) {
		env.createQueue(t, "jobs-dlq", nil)
		url := env.createQueue(t, "jobs", nil)
		policy := `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":"5"}`
		_, err := env.client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{
			"VisibilityTimeout": "120", "RedrivePolicy": policy, "DelaySeconds": "3",
		}})
		if err != nil {
			t.Fatal(err)
		}
		out, err := env.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"VisibilityTimeout", "RedrivePolicy", "DelaySeconds"}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"VisibilityTimeout": "120", "DelaySeconds": "3",
			"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":5}`,
		}
		for k, v := range want {
			if out.Attributes[k] != v {
				t.Errorf("attribute %s = %q, want %q", k, out.Attributes[k], v)
			}
		}
		_, err = env.client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":1001}`}})
		expectAPIError[*types.InvalidAttributeValue](t, err)
		_, err = env.client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"RedrivePolicy": `not json`}})
		expectAPIError[*types.InvalidAttributeValue](t, err)
		// Removing the policy with an empty value.
		_, err = env.client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"RedrivePolicy": ""}})
		if err != nil {
			t.Fatal(err)
		}
		out, _ = env.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
		if _, ok := out.Attributes["RedrivePolicy"]; ok {
			t.Fatalf("RedrivePolicy still set after clearing it: %v", out.Attributes)
		}
	}},
	{name: "RedriveAllowPolicy denies a source", run: func(t *testing.T, env *testEnv) {
		env.createQueue(t, "dlq", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`})
		_, err := env.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{
			"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}`,
		}})
		expectAPIError[*types.InvalidAttributeValue](t, err)
	}},
	{name: "DeleteQueue", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		if _, err := env.client.DeleteQueue(ctx, &awssqs.DeleteQueueInput{QueueUrl: &url}); err != nil {
			t.Fatal(err)
		}
		_, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
		expectAPIError[*types.QueueDoesNotExist](t, err)
		_, err = env.client.DeleteQueue(ctx, &awssqs.DeleteQueueInput{QueueUrl: &url})
		expectAPIError[*types.QueueDoesNotExist](t, err)
		env.createQueue(t, "jobs", nil) // names may be reused without EnforceCooldowns
	}},
	{name: "PurgeQueue", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		for i := 0; i < 3; i++ {
			env.send(t, url, "m")
		}
		env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url})
		env.expectCounts(t, url, "2", "1", "0")
		if _, err := env.client.PurgeQueue(ctx, &awssqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
			t.Fatal(err)
		}
		env.expectCounts(t, url, "0", "0", "0")
	}},
	{name: "ListDeadLetterSourceQueues", run: func(t *testing.T, env *testEnv) {
		dlq := env.createQueue(t, "dlq", nil)
		policy := map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}`}
		a := env.createQueue(t, "a", policy)
		b := env.createQueue(t, "b", policy)
		env.createQueue(t, "c", nil)
		out, err := env.client.ListDeadLetterSourceQueues(ctx, &awssqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.QueueUrls) != 2 || out.QueueUrls[0] != a || out.QueueUrls[1] != b {
			t.Fatalf("source queues = %v, want [%s %s]", out.QueueUrls, a, b)
		}
	}},
	{name: "Tags", run: func(t *testing.T, env *testEnv) {
		out, err := env.client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("jobs"), Tags: map[string]string{"team": "relay"}})
		if err != nil {
			t.Fatal(err)
		}
		url := out.QueueUrl
		if _, err := env.client.TagQueue(ctx, &awssqs.TagQueueInput{QueueUrl: url, Tags: map[string]string{"env": "dev"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.client.UntagQueue(ctx, &awssqs.UntagQueueInput{QueueUrl: url, TagKeys: []string{"team"}}); err != nil {
			t.Fatal(err)
		}
		tags, err := env.client.ListQueueTags(ctx, &awssqs.ListQueueTagsInput{QueueUrl: url})
		if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "dev" {
			t.Fatalf("tags = %v, %v, want env=dev", tags, err)
		}
	}},
}

var sendCases = []conformanceCase{
	{name: "SendMessage MD5 of body and attributes", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		out, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{
			QueueUrl:    &url,
			MessageBody: aws.String("hello wörld"),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"test_attribute_name_2": stringAttr("test_attribute_value_2"),
				"test_attribute_name_1": stringAttr("test_attribute_value_1"),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(out.MD5OfMessageBody), md5Hex("hello wörld"); got != want {
			t.Errorf("MD5OfMessageBody = %s, want %s", got, want)
		}
		// The digest of the same two attributes in the SQS developer guide's example.
		if got, want := aws.ToString(out.MD5OfMessageAttributes), "d53f3b558fe951154770f25cb63dbba9"; got != want {
			t.Errorf("MD5OfMessageAttributes = %s, want %s", got, want)
		}
		if len(aws.ToString(out.MessageId)) != 36 {
			t.Errorf("MessageId = %q, want a UUID", aws.ToString(out.MessageId))
		}
	}},
	{name: "SendMessage AWSTraceHeader", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
		out, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{
			QueueUrl: &url, MessageBody: aws.String("x"),
			MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
				"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(trace)},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(out.MD5OfMessageSystemAttributes), hex.EncodeToString(sumOf(traceHeaderMD5(trace))); got != want {
			t.Errorf("MD5OfMessageSystemAttributes = %s, want %s", got, want)
		}
		msgs := env.receiveAll(t, url)
		if len(msgs) != 1 || msgs[0].Attributes["AWSTraceHeader"] != trace {
			t.Fatalf("received %+v, want AWSTraceHeader %s", msgs, trace)
		}
	}},
	{name: "SendMessageBatch with a failed entry", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		out, err := env.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("ok1"), MessageBody: aws.String("one"), MessageAttributes: map[string]types.MessageAttributeValue{"SellerName": stringAttr("Example Store")}},
			{Id: aws.String("bad"), MessageBody: aws.String("nul\x00byte")},
			{Id: aws.String("ok2"), MessageBody: aws.String("two"), DelaySeconds: 5},
			{Id: aws.String("late"), MessageBody: aws.String("x"), DelaySeconds: 901},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 2 || len(out.Failed) != 2 {
			t.Fatalf("Successful %d, Failed %d, want 2 and 2: %+v", len(out.Successful), len(out.Failed), out.Failed)
		}
		byID := map[string]types.BatchResultErrorEntry{}
		for _, f := range out.Failed {
			byID[aws.ToString(f.Id)] = f
			if !f.SenderFault {
				t.Errorf("entry %s: SenderFault false", aws.ToString(f.Id))
			}
		}
		if got := aws.ToString(byID["bad"].Code); got != "InvalidMessageContents" {
			t.Errorf("entry bad: Code = %s, want InvalidMessageContents", got)
		}
		if got := aws.ToString(byID["late"].Code); got != "InvalidParameterValue" {
			t.Errorf("entry late: Code = %s, want InvalidParameterValue", got)
		}
		for _, s := range out.Successful {
			if aws.ToString(s.Id) == "ok1" && aws.ToString(s.MD5OfMessageAttributes) != "cd28f3b68aeee4b2eac9c66f2f694b58" {
				t.Errorf("entry ok1: MD5OfMessageAttributes = %s, want the SQS guide's cd28f3b68aeee4b2eac9c66f2f694b58", aws.ToString(s.MD5OfMessageAttributes))
			}
		}
		env.expectCounts(t, url, "1", "0", "1")
	}},
	{name: "SendMessageBatch request errors", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		entries := func(n int) []types.SendMessageBatchRequestEntry {
			var es []types.SendMessageBatchRequestEntry
			for i := 0; i < n; i++ {
				es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String("x")})
			}
			return es
		}
		_, err := env.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{}})
		expectAPIError[*types.EmptyBatchRequest](t, err)
		_, err = env.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries(11)})
		expectAPIError[*types.TooManyEntriesInBatchRequest](t, err)
		dup := entries(2)
		dup[1].Id = dup[0].Id
		_, err = env.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: dup})
		expectAPIError[*types.BatchEntryIdsNotDistinct](t, err)
		badID := entries(1)
		badID[0].Id = aws.String("no spaces")
		_, err = env.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: badID})
		expectAPIError[*types.InvalidBatchEntryId](t, err)
		big := entries(2)
		big[0].MessageBody = aws.String(strings.Repeat("a", 600*1024))
		big[1].MessageBody = aws.String(strings.Repeat("b", 600*1024))
		_, err = env.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: big})
		expectAPIError[*types.BatchRequestTooLong](t, err)
		env.expectCounts(t, url, "0", "0", "0")
	}},
	{name: "message size limits", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		env.send(t, url, strings.Repeat("a", 1<<20))
		_, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(strings.Repeat("a", 1<<20+1))})
		expectCode(t, err, "InvalidParameterValue")

		small := env.createQueue(t, "small", map[string]string{"MaximumMessageSize": "1024"})
		env.send(t, small, strings.Repeat("a", 1024))
		_, err = env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &small, MessageBody: aws.String(strings.Repeat("a", 1025))})
		expectCode(t, err, "InvalidParameterValue")
		// Attributes count: 1000 + len("k") + len("String") + len(value 20) > 1024.
		_, err = env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &small, MessageBody: aws.String(strings.Repeat("a", 1000)),
			MessageAttributes: map[string]types.MessageAttributeValue{"k": stringAttr(strings.Repeat("v", 20))}})
		expectCode(t, err, "InvalidParameterValue")
	}},
	{name: "message body characters", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		for _, body := range []string{"tab\tnew\nline\r", "emoji 🚀", "\u00e9\ud7ff\ue000\ufffd", "\U0010FFFF"} {
			out := env.send(t, url, body)
			if aws.ToString(out.MD5OfMessageBody) != md5Hex(body) {
				t.Errorf("body %q: MD5 mismatch", body)
			}
		}
		for _, body := range []string{"nul\x00", "bell\x07", "\x1f", "\ufffe", "\uffff"} {
			_, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(body)})
			expectAPIError[*types.InvalidMessageContents](t, err)
		}
		msgs := env.receive(t, &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
		if len(msgs) != 4 {
			t.Fatalf("received %d messages, want 4", len(msgs))
		}
	}},
	{name: "message attribute limits", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		send := func(attrs map[string]types.MessageAttributeValue) error {
			_, err := env.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageAttributes: attrs})
			return err
		}
		eleven := map[string]types.MessageAttributeValue{}
		for i := 0; i < 11; i++ {
			eleven[fmt.Sprint("a", i)] = stringAttr("v")
		}
		expectCode(t, send(eleven), "InvalidParameterValue")
		delete(eleven, "a10")
		if err := send(eleven); err != nil {
			t.Fatalf("10 attributes: %v", err)
		}
		number := func(v string) map[string]types.MessageAttributeValue {
			return map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String(v)}}
		}
		for _, v := range []string{"0", "-12.5", "1e126", "-1e128", "12345678901234567890123456789012345678", "0.000001", "1E+3"} {
			if err := send(number(v)); err != nil {
				t.Errorf("Number %s: %v", v, err)
			}
		}
		for _, v := range []string{"abc", "1e127", "-1e129", "123456789012345678901234567890123456789", "1..2", "0x10", "NaN"} {
			if err := send(number(v)); err == nil {
				t.Errorf("Number %s accepted, want InvalidParameterValue", v)
			} else {
				expectCode(t, err, "InvalidParameterValue")
			}
		}
		invalid := []map[string]types.MessageAttributeValue{
			{"AWS.reserved": stringAttr("v")},
			{"amazon.x": stringAttr("v")},
			{".start": stringAttr("v")},
			{"two..dots": stringAttr("v")},
			{"sp ace": stringAttr("v")},
			{"empty": stringAttr("")},
			{"t": {DataType: aws.String("Text"), StringValue: aws.String("v")}},
			{"t": {DataType: aws.String("String."), StringValue: aws.String("v")}},
			{"b": {DataType: aws.String("Binary")}},
		}
		for _, attrs := range invalid {
			if err := send(attrs); err == nil {
				t.Errorf("attributes %v accepted", attrs)
			} else {
				expectCode(t, err, "InvalidParameterValue")
			}
		}
		custom := map[string]types.MessageAttributeValue{
			"price": {DataType: aws.String("Number.float"), StringValue: aws.String("9.99")},
			"blob":  {DataType: aws.String("Binary.gzip"), BinaryValue: []byte{0, 1, 2}},
		}
		if err := send(custom); err != nil {
			t.Fatalf("custom data types: %v", err)
		}
	}},
	{name: "SendToARN", run: func(t *testing.T, env *testEnv) {
		url := env.createQueue(t, "jobs", nil)
		id, err := env.svc.SendToARN("arn:aws:sqs:us-east-1:000000000000:jobs", `{"Type":"Notification"}`, map[string]MessageAttribute{
			"status": {DataType: "String", StringValue: "failed"},
			"raw":    {DataType: "Binary", BinaryValue: []byte("bytes")},
		})
		if err != nil {
			t.Fatal(err)
		}
		msgs := env.receiveAll(t, url)
		if len(msgs) != 1 || aws.ToString(msgs[0].MessageId) != id {
			t.Fatalf("received %+v, want message %s", msgs, id)
		}
		if v := aws.ToString(msgs[0].MessageAttributes["status"].StringValue); v != "failed" {
			t.Errorf("attribute status = %q", v)
		}
		if v := string(msgs[0].MessageAttributes["raw"].BinaryValue); v != "bytes" {
			t.Errorf("attribute raw = %q", v)
		}
		_, err = env.svc.SendToARN("arn:aws:sqs:us-east-1:000000000000:missing", "x", nil)
		if !errors.Is(err, ErrQueueDoesNotExist) {
			t.Fatalf("SendToARN to a missing queue: %v, want ErrQueueDoesNotExist", err)
		}
	}},
}

func sumOf(sum [16]byte) []byte { return sum[:] }
