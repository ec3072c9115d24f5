package settings

import (
	"maps"
	"path"
	"strconv"
	"time"
)

// Function names. Each is also the name of the function's asset folder
// (LambdaAssetRoot/<name> and LocalAssetRoot/<name>) and of its source folder
// (functions/<name>).
const (
	FunctionEnqueue  = "enqueue"
	FunctionProcess  = "process"
	FunctionNotified = "notified"
)

// Environment variables that the functions read.
const (
	// EnvJobsQueueURL is the jobs queue URL (enqueue and process).
	EnvJobsQueueURL = "JOBS_QUEUE_URL"
	// EnvJobsDLQURL is the jobs DLQ URL (process).
	EnvJobsDLQURL = "JOBS_DLQ_URL"
	// EnvResultsTopicARN is the results topic ARN (process).
	EnvResultsTopicARN = "RESULTS_TOPIC_ARN"
	// EnvMaxParallelJobs bounds the jobs of one batch that process runs at once.
	EnvMaxParallelJobs = "MAX_PARALLEL_JOBS"
	// EnvRetryBackoffSeconds is the base, in seconds, of process's visibility backoff.
	EnvRetryBackoffSeconds = "RETRY_BACKOFF_SECONDS"
	// EnvLogLevel is the slog level of every function.
	EnvLogLevel = "LOG_LEVEL"
)

// Names of the queues and the topic. The local cloud creates them under these names. The CDK
// stack lets CloudFormation generate the physical names and uses these only to match
// resources to the topology.
const (
	QueueJobs             = "relay-jobs"
	QueueJobsDLQ          = "relay-jobs-dlq"
	QueueNotifiedFailures = "relay-notified-failures"
	TopicResults          = "relay-results"
)

// Lambda packaging shared by the stack, the Makefile and the local runtime.
const (
	// Handler is the handler of every function: the custom runtime runs the bootstrap file.
	Handler = "bootstrap"
	// LambdaAssetRoot is the folder, relative to the repository root, of the linux/arm64
	// bootstraps that the stack deploys (LambdaAssetRoot/<name>/bootstrap).
	LambdaAssetRoot = ".build/lambda"
	// LocalAssetRoot is the folder of the bootstraps built for the host's architecture,
	// which the local runtime runs (LocalAssetRoot/<name>/bootstrap).
	LocalAssetRoot = ".build/local"
)

// ProtocolLambda is the subscription protocol that delivers to a Lambda function.
const ProtocolLambda = "lambda"

// defaultQueueVisibilityTimeout is the SQS default, used for queues no function consumes.
const defaultQueueVisibilityTimeout = 30 * time.Second

// Topology describes every queue, topic, function, event source mapping and subscription
// of the pipeline, with the values from Settings. The CDK stack and the local runner both
// build from it.
type Topology struct {
	Queues              []Queue
	Topics              []Topic
	Functions           []Function
	EventSourceMappings []EventSourceMapping
	Subscriptions       []Subscription
}

// Queue describes a standard SQS queue.
type Queue struct {
	// Name is one of QueueJobs, QueueJobsDLQ and QueueNotifiedFailures.
	Name              string
	DeliveryDelay     time.Duration
	VisibilityTimeout time.Duration
	Retention         time.Duration
	// DeadLetterQueue is the name of the queue that the redrive moves a message to after
	// MaxReceiveCount receives, or "" when the queue has no redrive policy.
	DeadLetterQueue string
	MaxReceiveCount int
}

// Topic describes a standard SNS topic.
type Topic struct {
	// Name is TopicResults.
	Name string
}

// Function describes a Lambda function that runs a bootstrap on the custom runtime.
type Function struct {
	// Name is one of FunctionEnqueue, FunctionProcess and FunctionNotified.
	Name      string
	Timeout   time.Duration
	MemoryMiB int
	// Environment contains the variables whose values come from Settings.
	Environment map[string]string
	// ResourceEnvironment maps a variable to the name of the queue whose URL, or of the
	// topic whose ARN, is its value. The stack and the local runner fill in the address.
	ResourceEnvironment map[string]string
	// AsyncRetryAttempts is how often Lambda retries a failed asynchronous invoke (0-2).
	AsyncRetryAttempts int
	// OnFailureQueue is the name of the queue that receives the event of an asynchronous
	// invoke that failed every attempt, or "" when the function has no such destination.
	OnFailureQueue string
}

// EventSourceMapping describes a queue that Lambda polls to invoke a function with batches.
type EventSourceMapping struct {
	Queue          string
	Function       string
	BatchSize      int
	BatchingWindow time.Duration
	MaxConcurrency int
	// ReportBatchItemFailures is true when the function returns the failed records of a
	// batch, so that only those are delivered again.
	ReportBatchItemFailures bool
}

// Subscription describes a topic subscription that delivers to a function.
type Subscription struct {
	Topic    string
	Protocol string
	// Endpoint is the name of the function the subscription invokes.
	Endpoint string
}

// Topology returns the pipeline built from s. It contains the jobs queue with its DLQ
// redrive, the results topic and the three functions. process reads the jobs queue through
// an event source mapping, and notified is subscribed to the results topic, with an
// on-failure queue for its asynchronous invokes.
func (s Settings) Topology() Topology {
	return Topology{
		Queues: []Queue{
			{
				Name:              QueueJobs,
				DeliveryDelay:     s.DeliveryDelay,
				VisibilityTimeout: s.VisibilityTimeout,
				Retention:         s.QueueRetention,
				DeadLetterQueue:   QueueJobsDLQ,
				MaxReceiveCount:   s.MaxReceiveCount,
			},
			{Name: QueueJobsDLQ, VisibilityTimeout: defaultQueueVisibilityTimeout, Retention: s.DLQRetention},
			{Name: QueueNotifiedFailures, VisibilityTimeout: defaultQueueVisibilityTimeout, Retention: s.DLQRetention},
		},
		Topics:    []Topic{{Name: TopicResults}},
		Functions: s.Functions(),
		EventSourceMappings: []EventSourceMapping{{
			Queue:                   QueueJobs,
			Function:                FunctionProcess,
			BatchSize:               s.BatchSize,
			BatchingWindow:          s.BatchingWindow,
			MaxConcurrency:          s.MaxConcurrency,
			ReportBatchItemFailures: true,
		}},
		Subscriptions: []Subscription{{Topic: TopicResults, Protocol: ProtocolLambda, Endpoint: FunctionNotified}},
	}
}

// Functions returns enqueue, process and notified, in that order, with their timeouts,
// memory and environment from s.
func (s Settings) Functions() []Function {
	logLevel := map[string]string{EnvLogLevel: s.LogLevel}
	return []Function{
		{
			Name:                FunctionEnqueue,
			Timeout:             s.EnqueueTimeout,
			MemoryMiB:           s.EnqueueMemoryMiB,
			Environment:         maps.Clone(logLevel),
			ResourceEnvironment: map[string]string{EnvJobsQueueURL: QueueJobs},
		},
		{
			Name:      FunctionProcess,
			Timeout:   s.ProcessTimeout,
			MemoryMiB: s.ProcessMemoryMiB,
			Environment: map[string]string{
				EnvLogLevel:            s.LogLevel,
				EnvMaxParallelJobs:     strconv.Itoa(s.MaxParallelJobs),
				EnvRetryBackoffSeconds: strconv.FormatInt(int64(s.RetryBackoff/time.Second), 10),
			},
			ResourceEnvironment: map[string]string{
				EnvJobsQueueURL:    QueueJobs,
				EnvJobsDLQURL:      QueueJobsDLQ,
				EnvResultsTopicARN: TopicResults,
			},
		},
		{
			Name:                FunctionNotified,
			Timeout:             s.NotifiedTimeout,
			MemoryMiB:           s.NotifiedMemoryMiB,
			Environment:         maps.Clone(logLevel),
			ResourceEnvironment: map[string]string{},
			AsyncRetryAttempts:  s.NotifiedRetryAttempts,
			OnFailureQueue:      QueueNotifiedFailures,
		},
	}
}

// Function returns the function with the given name and whether it exists.
func (t Topology) Function(name string) (Function, bool) {
	for _, f := range t.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// Queue returns the queue with the given name and whether it exists.
func (t Topology) Queue(name string) (Queue, bool) {
	for _, q := range t.Queues {
		if q.Name == name {
			return q, true
		}
	}
	return Queue{}, false
}

// LambdaAssetDir returns the asset folder of the named function's deployable bootstrap,
// relative to the repository root, such as ".build/lambda/process".
func LambdaAssetDir(name string) string { return path.Join(LambdaAssetRoot, name) }

// LocalAssetDir returns the folder of the named function's host-architecture bootstrap,
// relative to the repository root, such as ".build/local/process".
func LocalAssetDir(name string) string { return path.Join(LocalAssetRoot, name) }
