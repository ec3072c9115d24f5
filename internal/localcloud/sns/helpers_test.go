package sns

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
)

func TestMain(m *testing.M) {
	// The clients here take static credentials and a loopback endpoint; this keeps any
	// SDK code path from probing the EC2 metadata service.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// queueDelivery is one message handed to a queueRecorder.
type queueDelivery struct {
	queueARN string
	body     string
	attrs    map[string]MessageAttribute
}

// queueRecorder implements QueueDelivery by recording deliveries, standing in for the local
// SQS service. When fail is set, it returns that error instead.
type queueRecorder struct {
	mu         sync.Mutex
	deliveries []queueDelivery
	fail       error
}

func (q *queueRecorder) DeliverToQueue(_ context.Context, queueARN, body string, attrs map[string]MessageAttribute) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.deliveries = append(q.deliveries, queueDelivery{queueARN: queueARN, body: body, attrs: attrs})
	return nil
}

func (q *queueRecorder) all() []queueDelivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]queueDelivery(nil), q.deliveries...)
}

func (q *queueRecorder) to(queueARN string) []queueDelivery {
	var out []queueDelivery
	for _, d := range q.all() {
		if d.queueARN == queueARN {
			out = append(out, d)
		}
	}
	return out
}

// invocation is one payload handed to a functionRecorder.
type invocation struct {
	functionARN string
	payload     []byte
}

// functionRecorder implements FunctionInvoker by recording invocations, standing in for the
// local Lambda runtime.
type functionRecorder struct {
	mu          sync.Mutex
	invocations []invocation
}

func (f *functionRecorder) InvokeAsync(_ context.Context, functionARN string, payload []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invocations = append(f.invocations, invocation{functionARN: functionARN, payload: append([]byte(nil), payload...)})
	return nil
}

func (f *functionRecorder) all() []invocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]invocation(nil), f.invocations...)
}

// testEnv is a Service behind a loopback HTTP server, with an SDK client and recorders.
type testEnv struct {
	svc       *Service
	server    *httptest.Server
	client    *awssns.Client
	queues    *queueRecorder
	functions *functionRecorder
}

func newTestEnv(t testing.TB, configure ...func(*Config)) *testEnv {
	t.Helper()
	env := &testEnv{queues: &queueRecorder{}, functions: &functionRecorder{}}
	cfg := Config{
		Queues:         env.queues,
		Functions:      env.functions,
		HTTPRetryDelay: 20 * time.Millisecond,
		DrainTimeout:   2 * time.Second,
		Logger:         slog.New(slog.DiscardHandler),
	}
	for _, f := range configure {
		f(&cfg)
	}
	env.svc = NewService(cfg)
	env.server = httptest.NewServer(env.svc)
	t.Cleanup(func() {
		env.server.Close()
		env.svc.Close()
	})
	env.client = newClient(env.server.URL)
	return env
}

func newClient(endpoint string) *awssns.Client {
	return awssns.New(awssns.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		RetryMaxAttempts: 1,
	})
}

func (env *testEnv) createTopic(t testing.TB, name string) string {
	t.Helper()
	out, err := env.client.CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateTopic %q: %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

func (env *testEnv) subscribe(t testing.TB, topicARN, protocol, endpoint string, attrs map[string]string) string {
	t.Helper()
	out, err := env.client.Subscribe(context.Background(), &awssns.SubscribeInput{
		TopicArn:              aws.String(topicARN),
		Protocol:              aws.String(protocol),
		Endpoint:              aws.String(endpoint),
		Attributes:            attrs,
		ReturnSubscriptionArn: true,
	})
	if err != nil {
		t.Fatalf("Subscribe %s %s: %v", protocol, endpoint, err)
	}
	return aws.ToString(out.SubscriptionArn)
}

// requireErrorAs fails the test unless err matches the typed error target.
func requireErrorAs[T error](t testing.TB, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}

// httpPost is one request an httpSubscriber received.
type httpPost struct {
	header http.Header
	body   []byte
}

// httpSubscriber is a loopback HTTP endpoint that records every POST and responds with the
// status that respond returns (200 when respond is nil).
type httpSubscriber struct {
	server  *httptest.Server
	mu      sync.Mutex
	posts   []httpPost
	arrived chan struct{}
	respond func(n int, post httpPost) int
}

func newHTTPSubscriber(t testing.TB, respond func(n int, post httpPost) int) *httpSubscriber {
	t.Helper()
	sub := &httpSubscriber{arrived: make(chan struct{}, 1000), respond: respond}
	sub.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		post := httpPost{header: r.Header.Clone(), body: body}
		sub.mu.Lock()
		sub.posts = append(sub.posts, post)
		n := len(sub.posts)
		sub.mu.Unlock()
		status := http.StatusOK
		if sub.respond != nil {
			status = sub.respond(n, post)
		}
		w.WriteHeader(status)
		sub.arrived <- struct{}{}
	}))
	t.Cleanup(sub.server.Close)
	return sub
}

// wait blocks until n posts have arrived in total, failing after a generous bound.
func (h *httpSubscriber) wait(t testing.TB, n int) []httpPost {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		got := len(h.posts)
		posts := append([]httpPost(nil), h.posts...)
		h.mu.Unlock()
		if got >= n {
			return posts
		}
		select {
		case <-h.arrived:
		case <-deadline:
			t.Fatalf("HTTP subscriber got %d posts after 10 s, want %d", got, n)
		}
	}
}

func (h *httpSubscriber) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.posts)
}
