package sqs

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestSmoke(t *testing.T) {
	env := newTestEnv(t, false)
	url := env.createQueue(t, "smoke", nil)
	env.send(t, url, "hello")
	msgs := env.receiveAll(t, url)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "hello" {
		t.Fatalf("got %+v", msgs)
	}
	_, err := env.client.DeleteMessage(context.Background(), &awssqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle})
	if err != nil {
		t.Fatal(err)
	}
	env.expectCounts(t, url, "0", "0", "0")
}
