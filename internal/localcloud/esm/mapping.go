// Package esm runs an SQS event source mapping the way Lambda runs one. Pollers long-poll a
// queue through the SQS API and gather batches within the batching window. They invoke the
// function within the mapping's maximum concurrency, then delete what the function reports
// as processed.
//
// It talks to the queue with the real aws-sdk-go-v2 SQS client, so it works against the local
// cloud and counts towards its API calls exactly as AWS's pollers count towards the bill.
package esm

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Limits of an SQS event source mapping, as AWS documents them.
const (
	MaxBatchSize          = 10000
	MaxBatchingWindow     = 300 * time.Second
	MinMaximumConcurrency = 2
	MaxMaximumConcurrency = 1000
	// maxPayloadBytes is Lambda's limit for a synchronous invoke's payload.
	maxPayloadBytes = 6 * 1024 * 1024
	// maxReceiveWait is the longest long poll SQS allows.
	maxReceiveWait = 20 * time.Second
)

// InvokeFunc invokes the mapped function synchronously with payload. It returns the
// function's response, and functionError set to "Unhandled" (or another non-empty type) when
// the function failed. A non-nil error means the invoke itself failed.
type InvokeFunc func(ctx context.Context, payload []byte) (response []byte, functionError string, err error)

// Client is the part of the SQS API that a mapping uses.
type Client interface {
	ReceiveMessage(ctx context.Context, params *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, params *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Config describes one event source mapping.
type Config struct {
	// QueueURL and QueueARN name the source queue; the ARN becomes each record's
	// eventSourceARN.
	QueueURL string
	QueueARN string
	// Region becomes each record's awsRegion.
	Region string
	Client Client
	Invoke InvokeFunc

	// BatchSize is the most records in one invoke, 1-10000. Zero means 10.
	BatchSize int
	// BatchingWindow is how long a poller gathers records before it invokes with a partial
	// batch, 0-300 s.
	BatchingWindow time.Duration
	// MaximumConcurrency bounds the invokes in flight, 2-1000. Zero means 2.
	MaximumConcurrency int
	// ReportBatchItemFailures makes the mapping read the function's batchItemFailures. Without
	// it, any successful invoke deletes the whole batch.
	ReportBatchItemFailures bool
	// Pollers is the number of concurrent long polls. Zero means the lesser of
	// MaximumConcurrency and 5, the number of pollers AWS starts with.
	Pollers int
	// PollWait is the long poll's WaitTimeSeconds. Zero means 20 s.
	PollWait time.Duration

	Logger *slog.Logger
}

// Stats counts what a mapping did.
type Stats struct {
	Receives          int64 // ReceiveMessage calls
	Batches           int64 // invokes
	Records           int64 // records handed to the function
	Deleted           int64 // messages deleted after a successful invoke
	BatchItemFailures int64 // records the function reported as failed
	FailedBatches     int64 // invokes that failed whole: a function error, an invoke error or an invalid response
}

// Mapping is a running event source mapping. Stop it with Close.
type Mapping struct {
	cfg    Config
	logger *slog.Logger
	slots  chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup

	receives, batches, records, deleted, itemFailures, failedBatches atomic.Int64
}

// Start validates cfg and starts the pollers. They run until Close or until ctx ends.
func Start(ctx context.Context, cfg Config) (*Mapping, error) {
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("queue", cfg.QueueARN)

	ctx, cancel := context.WithCancel(ctx)
	m := &Mapping{
		cfg:    cfg,
		logger: logger,
		slots:  make(chan struct{}, cfg.MaximumConcurrency),
		cancel: cancel,
	}
	for range cfg.Pollers {
		m.wg.Add(1)
		go m.poll(ctx)
	}
	logger.Info("event source mapping started", "batch_size", cfg.BatchSize,
		"batching_window", cfg.BatchingWindow.String(), "maximum_concurrency", cfg.MaximumConcurrency,
		"pollers", cfg.Pollers)
	return m, nil
}

// applyDefaults fills in the zero fields of cfg and checks every field against AWS's limits.
func (cfg *Config) applyDefaults() error {
	if err := cfg.checkRequired(); err != nil {
		return err
	}
	if err := cfg.applyBatchDefaults(); err != nil {
		return err
	}
	return cfg.applyPollingDefaults()
}

// checkRequired names every required field that is missing.
func (cfg *Config) checkRequired() error {
	var missing []string
	if cfg.QueueURL == "" {
		missing = append(missing, "QueueURL")
	}
	if cfg.QueueARN == "" {
		missing = append(missing, "QueueARN")
	}
	if cfg.Region == "" {
		missing = append(missing, "Region")
	}
	if cfg.Client == nil {
		missing = append(missing, "Client")
	}
	if cfg.Invoke == nil {
		missing = append(missing, "Invoke")
	}
	if len(missing) > 0 {
		return fmt.Errorf("event source mapping: %s missing: QueueURL, QueueARN, Region, Client and Invoke are required, because every record names its queue and region", strings.Join(missing, ", "))
	}
	return nil
}

func (cfg *Config) applyBatchDefaults() error {
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 10
	}
	if cfg.BatchSize < 1 || cfg.BatchSize > MaxBatchSize {
		return fmt.Errorf("event source mapping: BatchSize %d is out of range 1-%d", cfg.BatchSize, MaxBatchSize)
	}

	if cfg.BatchingWindow < 0 || cfg.BatchingWindow > MaxBatchingWindow {
		return fmt.Errorf("event source mapping: BatchingWindow %s is out of range 0-300s", cfg.BatchingWindow)
	}
	if cfg.BatchSize > 10 && cfg.BatchingWindow == 0 {
		return fmt.Errorf("event source mapping: BatchSize %d needs a BatchingWindow of at least 1s, as on AWS", cfg.BatchSize)
	}
	return nil
}

func (cfg *Config) applyPollingDefaults() error {
	if cfg.MaximumConcurrency == 0 {
		cfg.MaximumConcurrency = MinMaximumConcurrency
	}
	if cfg.MaximumConcurrency < MinMaximumConcurrency || cfg.MaximumConcurrency > MaxMaximumConcurrency {
		return fmt.Errorf("event source mapping: MaximumConcurrency %d is out of range %d-%d",
			cfg.MaximumConcurrency, MinMaximumConcurrency, MaxMaximumConcurrency)
	}

	if cfg.Pollers < 0 {
		return fmt.Errorf("event source mapping: Pollers %d is negative: use 0 for the default or a positive count", cfg.Pollers)
	}
	if cfg.Pollers == 0 {
		cfg.Pollers = min(cfg.MaximumConcurrency, 5)
	}

	if cfg.PollWait == 0 {
		cfg.PollWait = maxReceiveWait
	}
	if cfg.PollWait < 0 || cfg.PollWait > maxReceiveWait {
		return fmt.Errorf("event source mapping: PollWait %s is out of range 0-20s", cfg.PollWait)
	}
	return nil
}

// Stats returns the mapping's counters so far.
func (m *Mapping) Stats() Stats {
	return Stats{
		Receives:          m.receives.Load(),
		Batches:           m.batches.Load(),
		Records:           m.records.Load(),
		Deleted:           m.deleted.Load(),
		BatchItemFailures: m.itemFailures.Load(),
		FailedBatches:     m.failedBatches.Load(),
	}
}

// Close stops the pollers and waits for the invokes in flight to finish. Messages that were
// received but not yet invoked become visible again when their visibility timeout passes,
// as on AWS.
func (m *Mapping) Close() error {
	m.cancel()
	m.wg.Wait()
	m.logger.Info("event source mapping stopped", "batches", m.batches.Load(), "records", m.records.Load())
	return nil
}

// poll gathers batches and hands each to an invoke once a concurrency slot is free.
func (m *Mapping) poll(ctx context.Context) {
	defer m.wg.Done()
	for ctx.Err() == nil {
		batch := m.gather(ctx)
		if len(batch) == 0 {
			continue
		}
		select {
		case m.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer func() { <-m.slots }()
			// The invoke runs to its end even when the mapping is closing, so that its
			// result is applied and no finished work is redelivered needlessly.
			m.invoke(context.WithoutCancel(ctx), batch)
		}()
	}
}

// gather receives until the batch is full, the batching window has passed, or the payload
// limit is near. The first receive long-polls; the window starts with the first message.
func (m *Mapping) gather(ctx context.Context) []types.Message {
	var (
		batch    []types.Message
		size     int
		deadline time.Time
	)
	for len(batch) < m.cfg.BatchSize && size < maxPayloadBytes/2 {
		wait := m.cfg.PollWait
		if len(batch) > 0 {
			remaining := time.Until(deadline)
			if remaining <= 0 {
				break
			}
			wait = min(remaining, maxReceiveWait)
		}

		messages, err := m.receive(ctx, min(10, m.cfg.BatchSize-len(batch)), wait)
		if err != nil {
			if ctx.Err() == nil {
				m.logger.Warn("receive failed; retrying in 1s", "err", err)
				sleep(ctx, time.Second)
			}
			break
		}
		if len(messages) == 0 && len(batch) == 0 {
			continue
		}
		if len(batch) == 0 {
			deadline = time.Now().Add(m.cfg.BatchingWindow)
		}
		batch = append(batch, messages...)
		for _, msg := range messages {
			size += len(aws.ToString(msg.Body))
		}
		if m.cfg.BatchingWindow == 0 {
			break
		}
	}
	return batch
}

// receive makes one ReceiveMessage call that waits at most wait. A wait that is not a whole
// number of seconds is rounded up and cut short by a context deadline.
func (m *Mapping) receive(ctx context.Context, maxMessages int, wait time.Duration) ([]types.Message, error) {
	waitSeconds := int32((wait + time.Second - 1) / time.Second)
	callCtx := ctx
	if wait%time.Second != 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	m.receives.Add(1)
	out, err := m.cfg.Client.ReceiveMessage(callCtx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(m.cfg.QueueURL),
		MaxNumberOfMessages:         int32(maxMessages),
		WaitTimeSeconds:             waitSeconds,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		if callCtx.Err() != nil && ctx.Err() == nil {
			// The batching window ended during the wait.
			return nil, nil
		}
		return nil, err
	}
	return out.Messages, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
