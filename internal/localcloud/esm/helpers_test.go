package esm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/localcloud"
	"github.com/relay-pipeline/relay/internal/localcloud/esm"
)

const testRegion = "us-east-1"

func TestMain(m *testing.M) {
	// The clients below have static credentials and a loopback endpoint. The variable also
	// keeps any path that loads the SDK's default chain away from the instance metadata service.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// cloud is a local cloud on an ephemeral loopback port with an SQS client of it.
type cloud struct {
	server *localcloud.Server
	client *sqs.Client
}

func newCloud(t *testing.T) *cloud {
	t.Helper()
	server, err := localcloud.NewServer(localcloud.Config{})
	if err != nil {
		t.Fatalf("start local cloud: %v", err)
	}
	t.Cleanup(func() { server.Close() })
	client := sqs.New(sqs.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(server.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "esm tests"}, nil
		}),
	})
	return &cloud{server: server, client: client}
}

// createQueue creates a standard queue with the visibility timeout given in seconds and
// returns its URL and ARN.
func (c *cloud) createQueue(t *testing.T, name string, visibilitySeconds int) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	created, err := c.client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": strconv.Itoa(visibilitySeconds)},
	})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	attrs, err := c.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       created.QueueUrl,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("get ARN of %s: %v", name, err)
	}
	return aws.ToString(created.QueueUrl), attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
}

// sendBodies sends one message per body, ten per SendMessageBatch call.
func (c *cloud) sendBodies(t *testing.T, url string, bodies []string) {
	t.Helper()
	for start := 0; start < len(bodies); start += 10 {
		chunk := bodies[start:min(start+10, len(bodies))]
		entries := make([]types.SendMessageBatchRequestEntry, len(chunk))
		for i, body := range chunk {
			entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body)}
		}
		out, err := c.client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			t.Fatalf("SendMessageBatch: %v", err)
		}
		if len(out.Failed) > 0 {
			t.Fatalf("SendMessageBatch: %d entries failed, first: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
	}
}

func numberedBodies(n int) []string {
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("message %d", i)
	}
	return bodies
}

// depth returns the queue's visible, in-flight and delayed message counts.
func (c *cloud) depth(t *testing.T, url string) (visible, inFlight, delayed int) {
	t.Helper()
	out, err := c.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	get := func(name types.QueueAttributeName) int {
		n, err := strconv.Atoi(out.Attributes[string(name)])
		if err != nil {
			t.Fatalf("attribute %s = %q is not a number", name, out.Attributes[string(name)])
		}
		return n
	}
	return get(types.QueueAttributeNameApproximateNumberOfMessages),
		get(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		get(types.QueueAttributeNameApproximateNumberOfMessagesDelayed)
}

// empty reports whether the queue holds no message at all.
func (c *cloud) empty(t *testing.T, url string) bool {
	visible, inFlight, delayed := c.depth(t, url)
	return visible+inFlight+delayed == 0
}

// startMapping starts a mapping with cfg and closes it when the test ends.
func startMapping(t *testing.T, cfg esm.Config) *esm.Mapping {
	t.Helper()
	m, err := esm.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("esm.Start: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// waitFor polls cond every 20 ms until it holds or timeout passes, then fails the test with
// what.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recorder keeps every payload an InvokeFunc receives.
type recorder struct {
	mu       sync.Mutex
	payloads [][]byte
}

func (r *recorder) add(payload []byte) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, payload)
	return len(r.payloads)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.payloads)
}

// events decodes every recorded payload as an SQS event.
func (r *recorder) events(t *testing.T) []events.SQSEvent {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	decoded := make([]events.SQSEvent, len(r.payloads))
	for i, payload := range r.payloads {
		if err := json.Unmarshal(payload, &decoded[i]); err != nil {
			t.Fatalf("payload %d is not an SQS event: %v\n%s", i, err, payload)
		}
	}
	return decoded
}

func (r *recorder) raw(i int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.payloads[i]
}

// recordSizes returns the number of records of each recorded invoke.
func recordSizes(evs []events.SQSEvent) []int {
	sizes := make([]int, len(evs))
	for i, ev := range evs {
		sizes[i] = len(ev.Records)
	}
	return sizes
}
