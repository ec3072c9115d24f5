package sqs

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestMain(m *testing.M) {
	// The tests build SDK clients with static credentials and a loopback endpoint. This also
	// keeps any code path that loads the default chain away from the instance metadata service.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testEnv is a Service served over loopback HTTP with an aws-sdk-go-v2 client.
type testEnv struct {
	svc    *Service
	server *httptest.Server
	client *awssqs.Client
	clock  *fakeClock // nil when the service uses the system clock
}

// newTestEnv starts a Service on 127.0.0.1. With fake true the service runs on a fake clock.
func newTestEnv(t testing.TB, fake bool) *testEnv {
	t.Helper()
	env := &testEnv{}
	cfg := Config{}
	if fake {
		env.clock = newFakeClock()
		cfg.Now = env.clock.Now
	}
	env.svc = NewService(cfg)
	env.server = newLoopbackServer(t, env.svc)
	env.client = newClient(env.server.URL, 0)
	t.Cleanup(func() {
		env.svc.Close()
		env.server.Close()
	})
	return env
}

func newLoopbackServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.1:0: %v", err)
	}
	server := &httptest.Server{Listener: listener, Config: &http.Server{Handler: h}}
	server.Start()
	return server
}

// newClient returns an SDK client for endpoint with dummy credentials. maxConns > 0 sets the
// transport's idle connections per host.
func newClient(endpoint string, maxConns int) *awssqs.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if maxConns > 0 {
		transport.MaxIdleConnsPerHost = maxConns
		transport.MaxIdleConns = maxConns
	}
	return awssqs.New(awssqs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		HTTPClient:       &http.Client{Transport: transport},
		RetryMaxAttempts: 1,
	})
}

func (e *testEnv) createQueue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.client.CreateQueue(context.Background(), &awssqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func (e *testEnv) send(t testing.TB, queueURL, body string) *awssqs.SendMessageOutput {
	t.Helper()
	out, err := e.client.SendMessage(context.Background(), &awssqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)})
	if err != nil {
		t.Fatalf("SendMessage to %s: %v", queueURL, err)
	}
	return out
}

func (e *testEnv) receive(t testing.TB, in *awssqs.ReceiveMessageInput) []types.Message {
	t.Helper()
	out, err := e.client.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

// receiveAll receives once, immediately, up to 10 messages with every system attribute.
func (e *testEnv) receiveAll(t testing.TB, queueURL string) []types.Message {
	t.Helper()
	return e.receive(t, &awssqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(queueURL),
		MaxNumberOfMessages:         10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
}

func (e *testEnv) counts(t testing.TB, queueURL string) (visible, notVisible, delayed string) {
	t.Helper()
	out, err := e.client.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", queueURL, err)
	}
	return out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"], out.Attributes["ApproximateNumberOfMessagesDelayed"]
}

func (e *testEnv) expectCounts(t testing.TB, queueURL, visible, notVisible, delayed string) {
	t.Helper()
	v, n, d := e.counts(t, queueURL)
	if v != visible || n != notVisible || d != delayed {
		t.Fatalf("queue %s counts (visible, not visible, delayed) = (%s, %s, %s), want (%s, %s, %s)", queueURL, v, n, d, visible, notVisible, delayed)
	}
}

// expectAPIError checks that err is the typed SDK error T.
func expectAPIError[T error](t testing.TB, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}
