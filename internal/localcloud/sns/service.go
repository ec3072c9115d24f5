// Package sns is a local Amazon SNS that the unmodified AWS SDKs talk to over the query
// protocol (form-encoded POST, XML responses, API version 2010-03-31).
//
// It keeps topics and subscriptions in memory, in a Service value with no package state, so
// tests can run many side by side. It delivers to sqs subscriptions through a QueueDelivery,
// to lambda subscriptions through a FunctionInvoker, both before Publish returns, and to
// http and https subscriptions on loopback addresses from background workers with bounded
// retries. Envelopes are signed with SignatureVersion 1 or 2 by a key made at first use.
package sns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// QueueDelivery delivers to local SQS queues (the lead adapts the SQS service to it).
// DeliverToQueue sends one message with the given body and SQS message attributes (nil when
// there are none) to the queue with the given ARN.
type QueueDelivery interface {
	DeliverToQueue(ctx context.Context, queueARN, body string, attrs map[string]MessageAttribute) error
}

// FunctionInvoker invokes a Lambda function asynchronously (Event invocation type); the
// local Lambda runtime implements it and does the retries and on-failure destination
// itself. The payload is an SNS event with one record.
type FunctionInvoker interface {
	InvokeAsync(ctx context.Context, functionARN string, payload []byte) error
}

// MessageAttribute is one SNS message attribute. DataType is String, Number, Binary or
// String.Array (optionally with a custom suffix such as "String.id"). BinaryValue holds the
// decoded bytes of a Binary attribute, and StringValue holds every other type's value.
type MessageAttribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// Config configures a Service. The zero value works: it uses account 000000000000 in
// us-east-1, derives URLs from each request's Host, and fails sqs and lambda deliveries.
type Config struct {
	// AccountID and Region appear in ARNs. Defaults: "000000000000" and "us-east-1".
	AccountID string
	Region    string
	// BaseURL is this server's URL, such as "http://127.0.0.1:4566". It starts the
	// SubscribeURL, UnsubscribeURL and SigningCertURL of envelopes. Empty means
	// "http://" + the Host of the request that publishes or subscribes.
	BaseURL string
	// Queues receives deliveries to sqs subscriptions. Nil fails them (logged, counted).
	Queues QueueDelivery
	// Functions receives deliveries to lambda subscriptions. Nil fails them (logged,
	// counted).
	Functions FunctionInvoker
	// HTTPClient posts to http and https subscriptions. Nil means a client that dials only
	// loopback addresses and follows no redirects. A client given here is still only sent
	// URLs whose host is a loopback address or "localhost".
	HTTPClient *http.Client
	// HTTPAttempts is how many times one HTTP delivery is tried before it is dropped.
	// Default 3.
	HTTPAttempts int
	// HTTPAttemptTimeout bounds one HTTP delivery attempt. Default 5 s.
	HTTPAttemptTimeout time.Duration
	// HTTPRetryDelay is the wait before the second attempt; it doubles for each later one.
	// Default 200 ms.
	HTTPRetryDelay time.Duration
	// HTTPWorkers is the number of goroutines that deliver to HTTP endpoints. Default 4.
	HTTPWorkers int
	// HTTPQueueSize bounds the HTTP deliveries waiting for a worker. When it is full, new
	// deliveries are dropped and counted. Default 10000.
	HTTPQueueSize int
	// DrainTimeout bounds how long Close waits for queued HTTP deliveries. Default 5 s.
	DrainTimeout time.Duration
	// Logger receives the service's logs. Nil discards them.
	Logger *slog.Logger
	// Now returns the current time, for envelope timestamps. Nil means time.Now.
	Now func() time.Time
	// SignLambdaEvents signs the notifications delivered to lambda subscriptions, as AWS
	// does. When it is false their Signature is empty: an RSA signature costs about 1 ms of
	// CPU per message, the largest share of a local publish, and Lambda handlers do not
	// verify it because AWS, not the network, invokes them. Deliveries to sqs and http
	// subscriptions are always signed.
	SignLambdaEvents bool
}

// Stats counts the service's deliveries since it started.
type Stats struct {
	Published         int64 // messages accepted by Publish and PublishBatch
	Delivered         int64 // deliveries handed over (sqs, lambda) or acknowledged (http)
	DeliveryFailures  int64 // deliveries that failed after their last attempt
	HTTPDropped       int64 // http deliveries dropped because the queue was full or closed
	FilteredOut       int64 // deliveries skipped because the filter policy did not match
	ConfirmationsSent int64 // SubscriptionConfirmation messages sent
}

// Service is a local SNS. Create it with NewService; it is safe for concurrent use.
type Service struct {
	cfg    Config
	logger *slog.Logger
	now    func() time.Time

	mu     sync.RWMutex
	topics map[string]*topic        // by topic ARN
	subs   map[string]*subscription // by subscription ARN
	tokens map[string]*subscription // by confirmation token

	signer *signer
	http   *httpDeliverer

	published        atomic.Int64
	delivered        atomic.Int64
	deliveryFailures atomic.Int64
	filteredOut      atomic.Int64
	confirmations    atomic.Int64

	closeOnce sync.Once
}

// NewService returns a Service configured by cfg, with its HTTP delivery workers running.
// Call Close to stop them.
func NewService(cfg Config) *Service {
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}

	s := &Service{
		cfg:    cfg,
		logger: logger,
		now:    now,
		topics: map[string]*topic{},
		subs:   map[string]*subscription{},
		tokens: map[string]*subscription{},
		signer: &signer{commonName: "sns." + cfg.Region + ".local"},
	}
	s.http = newHTTPDeliverer(cfg, logger, &s.delivered, &s.deliveryFailures)
	return s
}

// Stats returns the delivery counters.
func (s *Service) Stats() Stats {
	return Stats{
		Published:         s.published.Load(),
		Delivered:         s.delivered.Load(),
		DeliveryFailures:  s.deliveryFailures.Load(),
		HTTPDropped:       s.http.dropped.Load(),
		FilteredOut:       s.filteredOut.Load(),
		ConfirmationsSent: s.confirmations.Load(),
	}
}

// Close stops the HTTP delivery workers after they drain the queued deliveries, waiting at
// most Config.DrainTimeout; deliveries still queued then are dropped and counted. It is safe
// to call more than once. Calls made after Close still work, but HTTP deliveries are
// dropped.
func (s *Service) Close() {
	s.closeOnce.Do(func() {
		s.http.close()
		stats := s.Stats()
		s.logger.Info("sns stopped", "published", stats.Published, "delivered", stats.Delivered,
			"delivery_failures", stats.DeliveryFailures, "http_dropped", stats.HTTPDropped)
	})
}

type handlerFunc func(s *Service, call *call) error

var handlers = map[string]handlerFunc{
	"CreateTopic":               (*Service).createTopic,
	"DeleteTopic":               (*Service).deleteTopic,
	"ListTopics":                (*Service).listTopics,
	"GetTopicAttributes":        (*Service).getTopicAttributes,
	"SetTopicAttributes":        (*Service).setTopicAttributes,
	"Subscribe":                 (*Service).subscribe,
	"ConfirmSubscription":       (*Service).confirmSubscription,
	"Unsubscribe":               (*Service).unsubscribe,
	"ListSubscriptions":         (*Service).listSubscriptions,
	"ListSubscriptionsByTopic":  (*Service).listSubscriptionsByTopic,
	"GetSubscriptionAttributes": (*Service).getSubscriptionAttributes,
	"SetSubscriptionAttributes": (*Service).setSubscriptionAttributes,
	"Publish":                   (*Service).publish,
	"PublishBatch":              (*Service).publishBatch,
}

// call is one decoded request being served.
type call struct {
	ctx       context.Context
	params    params
	requestID string
	baseURL   string
	w         http.ResponseWriter
}

func (c *call) respond(r *response) { r.write(c.w, c.requestID) }

// ServeHTTP serves the query protocol: a form-encoded POST of any supported action, a GET
// of a SubscribeURL (Action=ConfirmSubscription) or UnsubscribeURL (Action=Unsubscribe), and
// a GET of the signing certificate at the SigningCertURL path.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	w.Header().Set("X-Amzn-RequestId", requestID)

	if r.Method == http.MethodGet && r.URL.Path == signingCertPath {
		s.serveSigningCert(w)
		return
	}

	p, err := s.decodeRequest(r)
	if err != nil {
		var apiErr *apiError
		if !errors.As(err, &apiErr) {
			apiErr = invalidParameter("%v", err)
		}
		writeError(w, apiErr.status, apiErr.code, apiErr.message, requestID)
		return
	}

	action := p.get("Action")
	handler, ok := handlers[action]
	if !ok || (r.Method == http.MethodGet && action != "ConfirmSubscription" && action != "Unsubscribe") {
		writeError(w, http.StatusBadRequest, "InvalidAction",
			fmt.Sprintf("The action %q is not valid for this web service.", action), requestID)
		return
	}

	c := &call{
		// A delivery that started must finish even if the client goes away, so that every
		// message id returned, or lost with the connection, was delivered.
		ctx:       context.WithoutCancel(r.Context()),
		params:    p,
		requestID: requestID,
		baseURL:   s.baseURL(r),
		w:         w,
	}
	if err := handler(s, c); err != nil {
		var apiErr *apiError
		if !errors.As(err, &apiErr) {
			s.logger.Error("sns request failed", "action", action, "request_id", requestID, "err", err)
			apiErr = &apiError{status: http.StatusInternalServerError, code: "InternalError", message: err.Error()}
		}
		writeError(w, apiErr.status, apiErr.code, apiErr.message, requestID)
	}
}

func (s *Service) decodeRequest(r *http.Request) (params, error) {
	if r.Method == http.MethodGet {
		return params(r.URL.Query()), nil
	}
	if r.Method != http.MethodPost {
		return nil, &apiError{status: http.StatusMethodNotAllowed, code: "InvalidAction",
			message: fmt.Sprintf("method %s is not supported: send the query protocol as POST", r.Method)}
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(body) > maxRequestBytes {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge",
			message: fmt.Sprintf("Request body is larger than %d bytes; publish smaller messages or batches.", maxRequestBytes)}
	}
	p, err := decodeQuery(body)
	if err != nil {
		return nil, err
	}
	for key, values := range r.URL.Query() {
		if !p.has(key) {
			p[key] = values
		}
	}
	return p, nil
}

func (s *Service) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return "http://" + r.Host
}

func (s *Service) topicARN(name string) string {
	return "arn:aws:sns:" + s.cfg.Region + ":" + s.cfg.AccountID + ":" + name
}

// newRequestID returns a random UUID (version 4) in its usual text form.
func newRequestID() string { return uuid.NewString() }

func newMessageID() string { return newRequestID() }
