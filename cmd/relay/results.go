package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/localpipeline"
	"github.com/relay-pipeline/relay/internal/settings"
)

// resultsQueue is the queue that --results subscribes to the results topic. It is a local
// tool's subscriber, like an email subscription, and not part of the stack.
const resultsQueue = "relay-local-results"

// printResults subscribes a queue to the results topic with raw delivery and prints each
// result as it arrives, until ctx ends. The returned function stops it and waits.
func printResults(ctx context.Context, p *localpipeline.Pipeline, w io.Writer) (stop func(), err error) {
	created, err := p.Observer.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(resultsQueue)})
	if err != nil {
		return nil, fmt.Errorf("create the --results queue: %w", err)
	}
	attrs, err := p.Observer.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       created.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return nil, fmt.Errorf("get the ARN of the --results queue: %w", err)
	}
	_, err = p.ObserverSNS.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:   aws.String(p.TopicARNs[settings.TopicResults]),
		Protocol:   aws.String("sqs"),
		Endpoint:   aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe the --results queue: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			out, err := p.Observer.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
				QueueUrl: created.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			})
			if err != nil {
				// ctx ended, or the local cloud is closing: wait a little so that a
				// failing call does not spin.
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			entries := make([]sqstypes.DeleteMessageBatchRequestEntry, 0, len(out.Messages))
			for i, msg := range out.Messages {
				fmt.Fprintln(w, formatResult(aws.ToString(msg.Body)))
				entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: msg.ReceiptHandle})
			}
			if len(entries) > 0 {
				_, _ = p.Observer.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: created.QueueUrl, Entries: entries})
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); wg.Wait() }) }, nil
}

// formatResult renders one result as a line; a body that is not a result is shown as it is.
func formatResult(body string) string {
	var r job.Result
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.JobID == "" {
		return "result  " + body
	}
	line := fmt.Sprintf("result  %s  %s  %s  attempt %d", r.JobID, r.Task, r.Status, r.Attempt)
	if r.Status == job.StatusSucceeded {
		return line + "  output " + strconv.Quote(r.Output)
	}
	return line + "  error " + strconv.Quote(r.Error)
}

// syncWriter serialises writes to w, for output written from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
