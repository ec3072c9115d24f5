// Package settings contains relay's tunables and the names shared by the CDK stack and the
// local runner, so that a local pipeline and a deployed one have the same topology.
//
// Settings start from Default, take overrides by key (CDK context, `-c deliveryDelay=60`)
// through WithOverrides, and are checked by Validate before anything is built from them.
package settings

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Settings contains every tunable of the pipeline. Durations are whole seconds, because
// SQS, Lambda and the event source mapping accept only seconds.
type Settings struct {
	// ProcessTimeout is the process function's timeout (1s-900s).
	ProcessTimeout time.Duration
	// ProcessMemoryMiB is the process function's memory (128-10240 MiB).
	ProcessMemoryMiB int
	// EnqueueTimeout is the enqueue function's timeout (1s-900s).
	EnqueueTimeout time.Duration
	// EnqueueMemoryMiB is the enqueue function's memory (128-10240 MiB).
	EnqueueMemoryMiB int
	// NotifiedTimeout is the notified function's timeout (1s-900s).
	NotifiedTimeout time.Duration
	// NotifiedMemoryMiB is the notified function's memory (128-10240 MiB).
	NotifiedMemoryMiB int
	// NotifiedRetryAttempts is how often Lambda retries a failed asynchronous invoke of
	// notified (0-2) before it sends the event to the on-failure destination.
	NotifiedRetryAttempts int

	// VisibilityTimeout is the jobs queue's visibility timeout (0s-43200s). It must be at
	// least 6 × ProcessTimeout + BatchingWindow, so that a message is not delivered again
	// while a batch that contains it may still run.
	VisibilityTimeout time.Duration
	// DeliveryDelay is the jobs queue's delivery delay (0s-900s).
	DeliveryDelay time.Duration
	// QueueRetention is the jobs queue's message retention period (60s-14 days).
	QueueRetention time.Duration
	// DLQRetention is the retention period of the jobs DLQ and of notified's on-failure
	// queue. It must be longer than QueueRetention, because a message keeps its original
	// enqueue time when the redrive moves it to the DLQ.
	DLQRetention time.Duration
	// MaxReceiveCount is how often the jobs queue delivers a message before the redrive
	// moves it to the DLQ (5-1000).
	MaxReceiveCount int

	// BatchSize is the maximum number of records in one batch of the event source mapping
	// (1-10000, and at most 10 when BatchingWindow is 0).
	BatchSize int
	// BatchingWindow is how long the event source mapping gathers records before it
	// invokes process (0s-300s).
	BatchingWindow time.Duration
	// MaxConcurrency is the event source mapping's maximum number of concurrent process
	// invokes (2-1000).
	MaxConcurrency int

	// MaxParallelJobs bounds the jobs of one batch that process runs at once (1-1000). It
	// reaches process as MAX_PARALLEL_JOBS.
	MaxParallelJobs int
	// RetryBackoff is the base of the visibility backoff that process applies to a
	// transient failure (1s-43200s). It reaches process as RETRY_BACKOFF_SECONDS.
	RetryBackoff time.Duration
	// LogLevel is the functions' slog level: debug, info, warn or error. It reaches every
	// function as LOG_LEVEL.
	LogLevel string
	// LogRetentionDays is how long CloudWatch Logs keeps the functions' logs, in days. It
	// must be one of the values CloudWatch Logs accepts (see ValidLogRetentionDays).
	LogRetentionDays int

	// OldestMessageAlarmAge is the age of the jobs queue's oldest message above which an
	// alarm fires (60s-14 days). It must be longer than DeliveryDelay, because a delayed
	// message ages while it waits.
	OldestMessageAlarmAge time.Duration
}

// Default returns settings fit for jobs that run for minutes. The process timeout is 5
// minutes and the visibility timeout is above 6 × that plus the batching window. The
// delivery delay is short, batches are small, and the DLQ keeps messages for the SQS
// maximum of 14 days.
func Default() Settings {
	return Settings{
		ProcessTimeout:        5 * time.Minute,
		ProcessMemoryMiB:      512,
		EnqueueTimeout:        30 * time.Second,
		EnqueueMemoryMiB:      256,
		NotifiedTimeout:       30 * time.Second,
		NotifiedMemoryMiB:     128,
		NotifiedRetryAttempts: 2,

		VisibilityTimeout: 31 * time.Minute,
		DeliveryDelay:     5 * time.Second,
		QueueRetention:    4 * day,
		DLQRetention:      14 * day,
		MaxReceiveCount:   5,

		BatchSize:      10,
		BatchingWindow: 5 * time.Second,
		MaxConcurrency: 10,

		MaxParallelJobs:  10,
		RetryBackoff:     10 * time.Second,
		LogLevel:         "info",
		LogRetentionDays: 14,

		OldestMessageAlarmAge: 30 * time.Minute,
	}
}

const day = 24 * time.Hour

// Limits of AWS that Validate checks. Sources: the SQS CreateQueue attributes, the Lambda
// CreateFunction and CreateEventSourceMapping parameters, and PutRetentionPolicy.
const (
	minFunctionTimeout   = time.Second
	maxFunctionTimeout   = 900 * time.Second
	minFunctionMemoryMiB = 128
	maxFunctionMemoryMiB = 10240
	maxVisibilityTimeout = 43200 * time.Second
	maxDeliveryDelay     = 900 * time.Second
	minRetention         = 60 * time.Second
	maxRetention         = 14 * day
	minMaxReceiveCount   = 5 // the minimum AWS recommends for a Lambda consumer
	maxMaxReceiveCount   = 1000
	maxBatchSize         = 10000
	maxBatchSizeNoWindow = 10
	maxBatchingWindow    = 300 * time.Second
	minMaxConcurrency    = 2
	maxMaxConcurrency    = 1000
	maxAsyncRetries      = 2
	maxParallelJobs      = 1000
)

// logRetentionDays lists the retention periods, in days, that CloudWatch Logs accepts.
var logRetentionDays = [...]int{
	1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
	2557, 2922, 3288, 3653,
}

// ValidLogRetentionDays returns the retention periods, in days, that CloudWatch Logs
// accepts, in ascending order. The caller may modify the returned slice.
func ValidLogRetentionDays() []int {
	days := logRetentionDays
	return days[:]
}

// Validate checks every tunable against the limits of AWS and every combination that must
// hold between them. It returns nil or one error per problem, joined; each names the keys
// and values involved and what to change.
func (s Settings) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	add(checkDuration(KeyProcessTimeout, s.ProcessTimeout, minFunctionTimeout, maxFunctionTimeout))
	add(checkDuration(KeyEnqueueTimeout, s.EnqueueTimeout, minFunctionTimeout, maxFunctionTimeout))
	add(checkDuration(KeyNotifiedTimeout, s.NotifiedTimeout, minFunctionTimeout, maxFunctionTimeout))
	add(checkInt(KeyProcessMemory, s.ProcessMemoryMiB, minFunctionMemoryMiB, maxFunctionMemoryMiB, "MiB"))
	add(checkInt(KeyEnqueueMemory, s.EnqueueMemoryMiB, minFunctionMemoryMiB, maxFunctionMemoryMiB, "MiB"))
	add(checkInt(KeyNotifiedMemory, s.NotifiedMemoryMiB, minFunctionMemoryMiB, maxFunctionMemoryMiB, "MiB"))
	add(checkInt(KeyNotifiedRetryAttempts, s.NotifiedRetryAttempts, 0, maxAsyncRetries, ""))

	add(checkDuration(KeyVisibilityTimeout, s.VisibilityTimeout, 0, maxVisibilityTimeout))
	add(checkDuration(KeyDeliveryDelay, s.DeliveryDelay, 0, maxDeliveryDelay))
	add(checkDuration(KeyQueueRetention, s.QueueRetention, minRetention, maxRetention))
	add(checkDuration(KeyDLQRetention, s.DLQRetention, minRetention, maxRetention))
	add(checkInt(KeyMaxReceiveCount, s.MaxReceiveCount, minMaxReceiveCount, maxMaxReceiveCount, ""))

	add(checkInt(KeyBatchSize, s.BatchSize, 1, maxBatchSize, ""))
	add(checkDuration(KeyBatchingWindow, s.BatchingWindow, 0, maxBatchingWindow))
	add(checkInt(KeyMaxConcurrency, s.MaxConcurrency, minMaxConcurrency, maxMaxConcurrency, ""))

	add(checkInt(KeyMaxParallelJobs, s.MaxParallelJobs, 1, maxParallelJobs, ""))
	add(checkDuration(KeyRetryBackoff, s.RetryBackoff, time.Second, maxVisibilityTimeout))
	add(checkLogLevel(s.LogLevel))
	add(checkLogRetention(s.LogRetentionDays))
	add(checkDuration(KeyOldestMessageAlarmAge, s.OldestMessageAlarmAge, minRetention, maxRetention))

	errs = append(errs, s.checkCombinations()...)
	return errors.Join(errs...)
}

// checkCombinations checks the rules that relate two or more tunables.
func (s Settings) checkCombinations() []error {
	var errs []error

	minVisibility := 6*s.ProcessTimeout + s.BatchingWindow
	if s.VisibilityTimeout < minVisibility {
		errs = append(errs, fmt.Errorf(
			"%s %s must be at least 6 × %s %s + %s %s = %s: raise %s or lower %s",
			KeyVisibilityTimeout, seconds(s.VisibilityTimeout),
			KeyProcessTimeout, seconds(s.ProcessTimeout),
			KeyBatchingWindow, seconds(s.BatchingWindow), seconds(minVisibility),
			KeyVisibilityTimeout, KeyProcessTimeout))
	}

	if s.DLQRetention <= s.QueueRetention {
		errs = append(errs, fmt.Errorf(
			"%s %s must be longer than %s %s, because a message keeps its enqueue time when it moves to the DLQ: raise %s or lower %s",
			KeyDLQRetention, seconds(s.DLQRetention), KeyQueueRetention, seconds(s.QueueRetention),
			KeyDLQRetention, KeyQueueRetention))
	}

	if s.BatchingWindow == 0 && s.BatchSize > maxBatchSizeNoWindow {
		errs = append(errs, fmt.Errorf(
			"%s %d needs %s of at least 1s, but %s is 0s: set %s or lower %s to %d or less",
			KeyBatchSize, s.BatchSize, KeyBatchingWindow, KeyBatchingWindow,
			KeyBatchingWindow, KeyBatchSize, maxBatchSizeNoWindow))
	}

	if s.OldestMessageAlarmAge <= s.DeliveryDelay {
		errs = append(errs, fmt.Errorf(
			"%s %s must be longer than %s %s, or the alarm fires on every delayed message: raise %s",
			KeyOldestMessageAlarmAge, seconds(s.OldestMessageAlarmAge),
			KeyDeliveryDelay, seconds(s.DeliveryDelay), KeyOldestMessageAlarmAge))
	}

	return errs
}

func checkDuration(key string, d, lo, hi time.Duration) error {
	if d%time.Second != 0 {
		return fmt.Errorf("%s %s is not a whole number of seconds: round it to seconds", key, d)
	}
	if d < lo || d > hi {
		return fmt.Errorf("%s %s is out of range %s-%s", key, seconds(d), seconds(lo), seconds(hi))
	}
	return nil
}

func checkInt(key string, v, lo, hi int, unit string) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s %d%s is out of range %d-%d%s", key, v, unit, lo, hi, unit)
	}
	return nil
}

func checkLogLevel(level string) error {
	switch level {
	case "debug", "info", "warn", "error":
		return nil
	}
	return fmt.Errorf("%s %q is not a log level: use debug, info, warn or error", KeyLogLevel, level)
}

func checkLogRetention(days int) error {
	if slices.Contains(logRetentionDays[:], days) {
		return nil
	}
	return fmt.Errorf("%s %d is not a retention period CloudWatch Logs accepts: use one of %v",
		KeyLogRetentionDays, days, logRetentionDays)
}

// seconds formats d as whole seconds, the unit of every duration key ("300s").
func seconds(d time.Duration) string {
	if d%time.Second != 0 {
		return d.String()
	}
	return fmt.Sprintf("%ds", int64(d/time.Second))
}
