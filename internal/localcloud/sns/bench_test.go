package sns

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// benchmarkMessage is a result-sized message with the attributes relay's process function
// sets.
const benchmarkMessage = `{"default":"{\"jobId\":\"job-1\",\"task\":\"resize\",\"status\":\"succeeded\",\"attempt\":1}"}`

var benchmarkAttributes = map[string]types.MessageAttributeValue{
	"status":  {DataType: aws.String("String"), StringValue: aws.String("succeeded")},
	"task":    {DataType: aws.String("String"), StringValue: aws.String("resize")},
	"job_id":  {DataType: aws.String("String"), StringValue: aws.String("job-1")},
	"attempt": {DataType: aws.String("Number"), StringValue: aws.String("1")},
}

// benchmarkTopic returns a topic with one sqs subscription, raw or enveloped (and so
// signed), delivering to the recorder.
func benchmarkTopic(b *testing.B, raw bool) (*testEnv, string) {
	env := newTestEnv(b)
	topicARN := env.createTopic(b, "relay-results")
	env.subscribe(b, topicARN, "sqs", queueARN, map[string]string{"RawMessageDelivery": fmt.Sprint(raw)})
	return env, topicARN
}

// BenchmarkPublish measures Publish through aws-sdk-go-v2 over loopback, with the
// message delivered to one sqs subscription before the call returns.
func BenchmarkPublish(b *testing.B) {
	for _, raw := range []bool{true, false} {
		b.Run(fmt.Sprintf("raw=%v", raw), func(b *testing.B) {
			env, topicARN := benchmarkTopic(b, raw)
			input := &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(benchmarkMessage),
				MessageStructure: aws.String("json"), MessageAttributes: benchmarkAttributes}
			b.ResetTimer()
			for b.Loop() {
				if _, err := env.client.Publish(ctx, input); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
		})
	}
}

// BenchmarkPublishBatch measures PublishBatch of 10 entries through aws-sdk-go-v2 over
// loopback, each delivered to one sqs subscription.
func BenchmarkPublishBatch(b *testing.B) {
	for _, raw := range []bool{true, false} {
		b.Run(fmt.Sprintf("raw=%v", raw), func(b *testing.B) {
			env, topicARN := benchmarkTopic(b, raw)
			entries := make([]types.PublishBatchRequestEntry, 10)
			for i := range entries {
				entries[i] = types.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String(benchmarkMessage),
					MessageStructure: aws.String("json"), MessageAttributes: benchmarkAttributes}
			}
			input := &awssns.PublishBatchInput{TopicArn: &topicARN, PublishBatchRequestEntries: entries}
			b.ResetTimer()
			for b.Loop() {
				out, err := env.client.PublishBatch(ctx, input)
				if err != nil {
					b.Fatal(err)
				}
				if len(out.Failed) != 0 {
					b.Fatalf("failed entries: %+v", out.Failed)
				}
			}
			b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "messages/s")
		})
	}
}

// BenchmarkSignEnvelope measures one SignatureVersion 1 signature with the 2048-bit RSA
// key, the CPU cost that every enveloped (not raw) delivery pays once per message.
func BenchmarkSignEnvelope(b *testing.B) {
	signer := &signer{commonName: "bench"}
	canonical := canonicalString("Message", benchmarkMessage, "MessageId", newMessageID(),
		"Timestamp", "2026-01-02T03:04:05.678Z", "TopicArn", "arn:aws:sns:us-east-1:000000000000:t", "Type", "Notification")
	if _, err := signer.sign("1", canonical); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := signer.sign("1", canonical); err != nil {
			b.Fatal(err)
		}
	}
}
