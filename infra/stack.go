package main

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/relay-pipeline/relay/internal/settings"
)

// RelayStackProps configures NewRelayStack.
type RelayStackProps struct {
	awscdk.StackProps

	// Settings are the tunables. NewRelayStack rejects settings that fail Validate.
	Settings settings.Settings
	// AssetRoot is the folder that contains <function>/bootstrap for every function,
	// settings.LambdaAssetRoot when empty. A relative path is relative to the working
	// directory, which is the repository root when the CDK CLI runs the app.
	AssetRoot string
	// NotifyEmail, when set, subscribes this address to failed results.
	NotifyEmail string
	// AlarmEmail, when set, subscribes this address to the alarm topic.
	AlarmEmail string
}

// Construct IDs of the resources that tests and suppressions refer to.
const (
	idJobsQueue        = "JobsQueue"
	idJobsDLQ          = "JobsDLQ"
	idNotifiedFailures = "NotifiedFailures"
	idResultsTopic     = "ResultsTopic"
	idAlarmTopic       = "AlarmTopic"
	idAlarmTopicKey    = "AlarmTopicKey"
)

// queueIDs maps the topology's queue names to construct IDs.
func queueIDs() map[string]string {
	return map[string]string{
		settings.QueueJobs:             idJobsQueue,
		settings.QueueJobsDLQ:          idJobsDLQ,
		settings.QueueNotifiedFailures: idNotifiedFailures,
	}
}

// functionID returns the construct ID of a function: its name with a capital letter.
func functionID(name string) string {
	return strings.ToUpper(name[:1]) + name[1:]
}

// relayStack contains the constructs that later steps of NewRelayStack wire together.
type relayStack struct {
	awscdk.Stack
	props      *RelayStackProps
	queues     map[string]awssqs.Queue
	topic      awssns.Topic
	functions  map[string]awslambda.Function
	enqueueURL awslambda.FunctionUrl
}

// NewRelayStack adds the relay pipeline to scope: the jobs queue with its DLQ, the
// results topic, the enqueue, process and notified functions with the event source
// mapping and the subscription that connect them, the alarms and the outputs. It returns
// an error, and adds nothing to scope, when the settings are invalid, an email address is
// malformed or a bootstrap is missing.
func NewRelayStack(scope constructs.Construct, id string, props *RelayStackProps) (awscdk.Stack, error) {
	if props == nil {
		props = &RelayStackProps{Settings: settings.Default()}
	}
	if err := checkProps(props); err != nil {
		return nil, err
	}

	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	r := &relayStack{
		Stack:     stack,
		props:     props,
		queues:    map[string]awssqs.Queue{},
		functions: map[string]awslambda.Function{},
	}
	topology := props.Settings.Topology()

	r.addQueues(topology.Queues)
	r.topic = awssns.NewTopic(stack, jsii.String(idResultsTopic), &awssns.TopicProps{
		// The AWS managed key alias/aws/sns encrypts at rest with no key to create, rotate
		// or pay for.
		MasterKey:  awskms.Alias_FromAliasName(stack, jsii.String("SnsManagedKey"), jsii.String("alias/aws/sns")),
		EnforceSSL: jsii.Bool(true),
	})
	for _, f := range topology.Functions {
		r.addFunction(f)
	}
	r.connect(topology)
	r.enqueueURL = r.functions[settings.FunctionEnqueue].AddFunctionUrl(&awslambda.FunctionUrlOptions{
		AuthType: awslambda.FunctionUrlAuthType_AWS_IAM,
	})
	r.grant()
	r.addEmailSubscription()
	r.addAlarms()
	r.addOutputs()
	r.suppressNagFindings()
	return stack, nil
}

// checkProps checks everything NewRelayStack needs before it creates a construct, so that
// a bad value fails with one message and not with a half-built stack.
func checkProps(props *RelayStackProps) error {
	var errs []error
	if err := props.Settings.Validate(); err != nil {
		errs = append(errs, err)
	}
	if props.NotifyEmail != "" {
		errs = append(errs, checkEmail(contextNotifyEmail, props.NotifyEmail))
	}
	if props.AlarmEmail != "" {
		errs = append(errs, checkEmail(contextAlarmEmail, props.AlarmEmail))
	}

	root := props.AssetRoot
	if root == "" {
		root = settings.LambdaAssetRoot
	}
	for _, f := range props.Settings.Functions() {
		bootstrap := filepath.Join(root, f.Name, settings.Handler)
		if _, err := os.Stat(bootstrap); err != nil {
			errs = append(errs, fmt.Errorf("function %s: bootstrap %s not found: run `make build` first: %w", f.Name, bootstrap, err))
		}
	}
	return errors.Join(errs...)
}

func checkEmail(key, address string) error {
	parsed, err := mail.ParseAddress(address)
	if err != nil || parsed.Address != address {
		return fmt.Errorf("context key %s: value %q is not an email address such as ops@example.com", key, address)
	}
	return nil
}

// addQueues creates every queue of the topology with SSE-SQS and enforceSSL. A queue's
// dead-letter queue is created before the queue that redrives to it.
func (r *relayStack) addQueues(queues []settings.Queue) {
	ids := queueIDs()
	pending := queues
	for len(pending) > 0 {
		var later []settings.Queue
		for _, q := range pending {
			if q.DeadLetterQueue != "" && r.queues[q.DeadLetterQueue] == nil {
				later = append(later, q)
				continue
			}
			r.queues[q.Name] = r.newQueue(ids[q.Name], q)
		}
		if len(later) == len(pending) {
			panic(fmt.Sprintf("infra: the dead-letter queues of %v are not in the topology", later))
		}
		pending = later
	}
}

func (r *relayStack) newQueue(id string, q settings.Queue) awssqs.Queue {
	props := &awssqs.QueueProps{
		DeliveryDelay:     seconds(q.DeliveryDelay),
		VisibilityTimeout: seconds(q.VisibilityTimeout),
		RetentionPeriod:   seconds(q.Retention),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
	}
	if q.DeadLetterQueue != "" {
		props.DeadLetterQueue = &awssqs.DeadLetterQueue{
			Queue:           r.queues[q.DeadLetterQueue],
			MaxReceiveCount: jsii.Number(q.MaxReceiveCount),
		}
	}
	return awssqs.NewQueue(r.Stack, jsii.String(id), props)
}

// addFunction creates a function on provided.al2023 for arm64 with its own log group and
// a role without managed policies: the role may write to that log group, and grant adds
// the rest.
func (r *relayStack) addFunction(f settings.Function) {
	id := functionID(f.Name)
	s := r.props.Settings

	logGroup := awslogs.NewLogGroup(r.Stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: retentionDays(s.LogRetentionDays),
	})
	role := awsiam.NewRole(r.Stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Execution role of the relay " + f.Name + " function"),
	})
	logGroup.GrantWrite(role)

	environment := map[string]*string{}
	for key, value := range f.Environment {
		environment[key] = jsii.String(value)
	}
	for key, resource := range f.ResourceEnvironment {
		environment[key] = r.address(resource)
	}

	props := &awslambda.FunctionProps{
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String(settings.Handler),
		Code:                  awslambda.Code_FromAsset(jsii.String(r.assetDir(f.Name)), nil),
		Description:           jsii.String("relay " + f.Name),
		Timeout:               seconds(f.Timeout),
		MemorySize:            jsii.Number(f.MemoryMiB),
		Environment:           &environment,
		Role:                  role,
		LogGroup:              logGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: applicationLogLevel(s.LogLevel),
	}
	if f.OnFailureQueue != "" {
		props.OnFailure = awslambdadestinations.NewSqsDestination(r.queues[f.OnFailureQueue])
		props.RetryAttempts = jsii.Number(f.AsyncRetryAttempts)
	}
	r.functions[f.Name] = awslambda.NewFunction(r.Stack, jsii.String(id), props)
}

func (r *relayStack) assetDir(name string) string {
	root := r.props.AssetRoot
	if root == "" {
		root = settings.LambdaAssetRoot
	}
	return filepath.Join(root, name)
}

// address returns the URL of the named queue or the ARN of the named topic.
func (r *relayStack) address(name string) *string {
	if name == settings.TopicResults {
		return r.topic.TopicArn()
	}
	q, ok := r.queues[name]
	if !ok {
		panic(fmt.Sprintf("infra: the topology refers to %q, which is neither a queue nor the topic", name))
	}
	return q.QueueUrl()
}

// connect adds the event source mappings and the topic subscriptions of the topology.
func (r *relayStack) connect(topology settings.Topology) {
	for _, m := range topology.EventSourceMappings {
		source := awslambdaeventsources.NewSqsEventSource(r.queues[m.Queue], &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(m.BatchSize),
			MaxBatchingWindow:       seconds(m.BatchingWindow),
			MaxConcurrency:          jsii.Number(m.MaxConcurrency),
			ReportBatchItemFailures: jsii.Bool(m.ReportBatchItemFailures),
		})
		// The event source grants the function ReceiveMessage, DeleteMessage,
		// ChangeMessageVisibility, GetQueueAttributes and GetQueueUrl on the queue.
		r.functions[m.Function].AddEventSource(source)
	}

	for _, sub := range topology.Subscriptions {
		if sub.Protocol != settings.ProtocolLambda || sub.Topic != settings.TopicResults {
			panic(fmt.Sprintf("infra: subscription %+v is not a lambda subscription to the results topic", sub))
		}
		r.topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(r.functions[sub.Endpoint], nil))
	}
}

// grant gives each function only the actions its code calls beyond what the event
// source mapping and the on-failure destination already grant: enqueue sends jobs, and
// process sends permanent failures to the DLQ and publishes results.
func (r *relayStack) grant() {
	r.queues[settings.QueueJobs].GrantSendMessages(r.functions[settings.FunctionEnqueue])

	process := r.functions[settings.FunctionProcess]
	r.queues[settings.QueueJobsDLQ].GrantSendMessages(process)
	r.topic.GrantPublish(process)
}

// addEmailSubscription subscribes NotifyEmail, when set, to results with status failed.
func (r *relayStack) addEmailSubscription() {
	if r.props.NotifyEmail == "" {
		return
	}
	r.topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(r.props.NotifyEmail),
		&awssnssubscriptions.EmailSubscriptionProps{
			FilterPolicy: &map[string]awssns.SubscriptionFilter{
				"status": awssns.SubscriptionFilter_StringFilter(&awssns.StringConditions{
					Allowlist: jsii.Strings("failed"),
				}),
			},
		}))
}

func (r *relayStack) addOutputs() {
	output := func(id string, value *string, description string) {
		awscdk.NewCfnOutput(r.Stack, jsii.String(id), &awscdk.CfnOutputProps{
			Value:       value,
			Description: jsii.String(description),
		})
	}
	output("JobsQueueUrl", r.queues[settings.QueueJobs].QueueUrl(), "URL of the jobs queue (JOBS_QUEUE_URL)")
	output("JobsDLQUrl", r.queues[settings.QueueJobsDLQ].QueueUrl(), "URL of the jobs dead-letter queue (JOBS_DLQ_URL)")
	output("NotifiedFailuresQueueUrl", r.queues[settings.QueueNotifiedFailures].QueueUrl(),
		"URL of the queue that keeps SNS events the notified function failed to handle")
	output("ResultsTopicArn", r.topic.TopicArn(), "ARN of the results topic (RESULTS_TOPIC_ARN)")
	output("EnqueueFunctionUrl", r.enqueueURL.Url(), "Function URL of enqueue (AWS_IAM auth): POST /jobs")
	for _, name := range []string{settings.FunctionEnqueue, settings.FunctionProcess, settings.FunctionNotified} {
		output(functionID(name)+"FunctionName", r.functions[name].FunctionName(), "Name of the "+name+" function")
	}
}
