package sns

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// TestParallelPublishers publishes from several goroutines while others change
// subscriptions and topic attributes, so `go test -race` exercises every lock. Each
// message must reach the subscription that exists throughout exactly once.
func TestParallelPublishers(t *testing.T) {
	env := newTestEnv(t)
	topicARN := env.createTopic(t, "relay-results")
	env.subscribe(t, topicARN, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	env.subscribe(t, topicARN, "lambda", functionARN, map[string]string{"FilterPolicy": `{"status":["failed"]}`})

	const publishers, perPublisher = 6, 20
	var wg sync.WaitGroup
	errs := make(chan error, publishers*perPublisher+100)
	for p := range publishers {
		wg.Go(func() {
			for i := range perPublisher {
				status := "succeeded"
				if i%2 == 0 {
					status = "failed"
				}
				attrs := map[string]types.MessageAttributeValue{"status": {DataType: aws.String("String"), StringValue: &status}}
				body := fmt.Sprintf("%d-%d", p, i)
				var err error
				if i%4 == 0 {
					_, err = env.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &topicARN,
						PublishBatchRequestEntries: []types.PublishBatchRequestEntry{{Id: aws.String("e"), Message: &body, MessageAttributes: attrs}}})
				} else {
					_, err = env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: &body, MessageAttributes: attrs})
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			endpoint := queueARN + "-churn-" + strconv.Itoa(i)
			out, err := env.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("sqs"), Endpoint: &endpoint})
			if err != nil {
				errs <- err
				continue
			}
			if _, err := env.client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &topicARN}); err != nil {
				errs <- err
			}
			if _, err := env.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: out.SubscriptionArn}); err != nil {
				errs <- err
			}
			if _, err := env.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &topicARN,
				AttributeName: aws.String("DisplayName"), AttributeValue: aws.String(strconv.Itoa(i))}); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	bodies := map[string]int{}
	for _, d := range env.queues.to(queueARN) {
		bodies[d.body]++
	}
	if len(bodies) != publishers*perPublisher {
		t.Fatalf("queue got %d distinct messages, want %d", len(bodies), publishers*perPublisher)
	}
	for body, n := range bodies {
		if n != 1 {
			t.Fatalf("message %s delivered %d times, want once", body, n)
		}
	}
	if got, want := len(env.functions.all()), publishers*perPublisher/2; got != want {
		t.Fatalf("function got %d invocations, want %d (the failed half)", got, want)
	}
}
