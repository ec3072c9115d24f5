package sns

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// httpJob is one POST to an http or https subscription endpoint.
type httpJob struct {
	url             string
	messageType     string // Notification or SubscriptionConfirmation
	messageID       string
	topicARN        string
	subscriptionARN string
	raw             bool
	body            []byte
}

// httpDeliverer posts to HTTP endpoints from a fixed set of workers fed by a bounded queue,
// so a slow or dead endpoint delays only its own deliveries and never a Publish call.
type httpDeliverer struct {
	client       *http.Client
	ownClient    bool // client was made here, so close may close its idle connections
	attempts     int
	timeout      time.Duration
	retryDelay   time.Duration
	drainTimeout time.Duration
	logger       *slog.Logger

	delivered *atomic.Int64
	failures  *atomic.Int64
	dropped   atomic.Int64

	// mu guards closed and the send on jobs, so no job is sent on a closed channel.
	mu     sync.RWMutex
	closed bool
	jobs   chan httpJob

	ctx     context.Context // cancelled when the drain deadline passes
	cancel  context.CancelFunc
	workers sync.WaitGroup
}

func newHTTPDeliverer(cfg Config, logger *slog.Logger, delivered, failures *atomic.Int64) *httpDeliverer {
	d := &httpDeliverer{
		client:       cfg.HTTPClient,
		attempts:     positiveOr(cfg.HTTPAttempts, 3),
		timeout:      positiveDurationOr(cfg.HTTPAttemptTimeout, 5*time.Second),
		retryDelay:   positiveDurationOr(cfg.HTTPRetryDelay, 200*time.Millisecond),
		drainTimeout: positiveDurationOr(cfg.DrainTimeout, 5*time.Second),
		logger:       logger,
		delivered:    delivered,
		failures:     failures,
		jobs:         make(chan httpJob, positiveOr(cfg.HTTPQueueSize, 10000)),
	}
	if d.client == nil {
		d.client, d.ownClient = loopbackClient(), true
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	workers := positiveOr(cfg.HTTPWorkers, 4)
	d.workers.Add(workers)
	for range workers {
		go d.work()
	}
	return d
}

func positiveOr(n, fallback int) int {
	if n > 0 {
		return n
	}
	return fallback
}

func positiveDurationOr(d, fallback time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return fallback
}

// loopbackClient returns an HTTP client that can connect only to loopback addresses, checked
// on the resolved address of every connection, and that follows no redirects: a 3xx response
// counts as a failed attempt.
func loopbackClient() *http.Client {
	dialer := &net.Dialer{
		Timeout: 2 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("connection to %s refused: the local SNS delivers only to loopback addresses", address)
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   2 * time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// enqueue queues job for a worker. It drops the job, and counts it, when the queue is full
// or the deliverer is closed.
func (d *httpDeliverer) enqueue(job httpJob) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		d.drop(job, "the local SNS is closed")
		return
	}
	select {
	case d.jobs <- job:
	default:
		d.drop(job, fmt.Sprintf("the HTTP delivery queue is full (%d deliveries waiting)", cap(d.jobs)))
	}
}

func (d *httpDeliverer) drop(job httpJob, reason string) {
	dropped := d.dropped.Add(1)
	// The first drop and then every 1000th are logged, so a flood stays readable.
	if dropped == 1 || dropped%1000 == 0 {
		d.logger.Error("sns http delivery dropped", "reason", reason, "subscription_arn", job.subscriptionARN,
			"message_id", job.messageID, "dropped_total", dropped)
	}
}

func (d *httpDeliverer) work() {
	defer d.workers.Done()
	for job := range d.jobs {
		if d.ctx.Err() != nil {
			d.drop(job, "the drain deadline of Close passed")
			continue
		}
		d.deliver(job)
	}
}

// deliver makes up to d.attempts POSTs of job, waiting d.retryDelay before the second and
// twice as long before each later one.
func (d *httpDeliverer) deliver(job httpJob) {
	delay := d.retryDelay
	var err error
	for attempt := 1; attempt <= d.attempts; attempt++ {
		if err = d.post(job); err == nil {
			d.delivered.Add(1)
			return
		}
		if attempt == d.attempts {
			break
		}
		d.logger.Warn("sns http delivery failed, retrying", "subscription_arn", job.subscriptionARN,
			"message_id", job.messageID, "attempt", attempt, "err", err)
		select {
		case <-time.After(delay):
		case <-d.ctx.Done():
			err = fmt.Errorf("%w (retries stopped by Close)", err)
			attempt = d.attempts
		}
		delay *= 2
	}
	d.failures.Add(1)
	d.logger.Error("sns http delivery failed", "subscription_arn", job.subscriptionARN, "topic_arn", job.topicARN,
		"message_id", job.messageID, "type", job.messageType, "attempts", d.attempts, "err", err)
}

func (d *httpDeliverer) post(job httpJob) error {
	u, err := url.Parse(job.url)
	if err != nil || !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("endpoint %q is not a loopback URL", job.url)
	}
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.url, bytes.NewReader(job.body))
	if err != nil {
		return fmt.Errorf("build request to %s: %w", job.url, err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	req.Header.Set("x-amz-sns-message-type", job.messageType)
	req.Header.Set("x-amz-sns-message-id", job.messageID)
	req.Header.Set("x-amz-sns-topic-arn", job.topicARN)
	if job.messageType == "Notification" {
		req.Header.Set("x-amz-sns-subscription-arn", job.subscriptionARN)
	}
	if job.raw {
		req.Header.Set("x-amz-sns-rawdelivery", "true")
	}

	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", job.url, err)
	}
	// Read a little of the body so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post to %s: status %s", job.url, resp.Status)
	}
	return nil
}

// close stops accepting jobs, lets the workers drain the queue until the drain deadline,
// then cancels what is left and waits for the workers to stop.
func (d *httpDeliverer) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	close(d.jobs)
	d.mu.Unlock()

	done := make(chan struct{})
	go func() {
		d.workers.Wait()
		close(done)
	}()
	timer := time.NewTimer(d.drainTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		d.cancel()
		<-done
	}
	d.cancel()
	if d.ownClient {
		d.client.CloseIdleConnections()
	}
}
