package sqs

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestParallelClients runs producers, consumers and attribute readers at once (run it with
// -race) and checks that every message is received and deleted exactly once.
func TestParallelClients(t *testing.T) {
	const producers, consumers, perProducer = 4, 4, 200
	env := newTestEnv(t, false)
	env.client = newClient(env.server.URL, 16)
	url := env.createQueue(t, "jobs", map[string]string{"VisibilityTimeout": "120"})
	runCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, producers+consumers+1)
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perProducer; i += 10 {
				var entries []types.SendMessageBatchRequestEntry
				for j := i; j < i+10; j++ {
					entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", j)), MessageBody: aws.String(fmt.Sprintf("p%d-m%d", p, j))})
				}
				out, err := env.client.SendMessageBatch(runCtx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
				if err == nil && len(out.Failed) > 0 {
					err = fmt.Errorf("batch entries failed: %+v", out.Failed)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}

	var mu sync.Mutex
	seen := map[string]int{}
	total := producers * perProducer
	for c := 0; c < consumers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				mu.Lock()
				done := len(seen) == total
				mu.Unlock()
				if done {
					return
				}
				out, err := env.client.ReceiveMessage(runCtx, &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					errs <- err
					return
				}
				if len(out.Messages) == 0 {
					continue
				}
				var entries []types.DeleteMessageBatchRequestEntry
				mu.Lock()
				for i, m := range out.Messages {
					seen[aws.ToString(m.Body)]++
					entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
				}
				mu.Unlock()
				del, err := env.client.DeleteMessageBatch(runCtx, &awssqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries})
				if err == nil && len(del.Failed) > 0 {
					err = fmt.Errorf("delete entries failed: %+v", del.Failed)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // attribute reads and a second queue's traffic interleave with the rest
		defer wg.Done()
		for i := 0; i < 50 && runCtx.Err() == nil; i++ {
			if _, err := env.client.GetQueueAttributes(runCtx, &awssqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}}); err != nil {
				errs <- err
				return
			}
			if _, err := env.svc.SendToARN("arn:aws:sqs:us-east-1:000000000000:missing", "x", nil); err == nil {
				errs <- fmt.Errorf("SendToARN to a missing queue succeeded")
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if len(seen) != total {
		t.Fatalf("received %d distinct messages, want %d", len(seen), total)
	}
	for body, n := range seen {
		if n != 1 {
			t.Errorf("message %s received %d times", body, n)
		}
	}
	env.expectCounts(t, url, "0", "0", "0")
}
