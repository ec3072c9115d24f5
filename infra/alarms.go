package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/relay-pipeline/relay/internal/settings"
)

// alarmPeriod is the period of every alarm's metric.
const alarmPeriod = 5 * 60 // seconds

// addAlarms adds an alarm topic, with AlarmEmail subscribed when set, and alarms that
// publish to it when a job needs attention. They fire on a message in the jobs DLQ or in
// notified's on-failure queue, on a jobs queue whose oldest message is older than
// OldestMessageAlarmAge, and on process errors or throttles.
func (r *relayStack) addAlarms() {
	// CloudWatch cannot use the AWS managed key of SNS, so the alarm topic has its own key
	// that CloudWatch may use.
	key := awskms.NewKey(r.Stack, jsii.String(idAlarmTopicKey), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the relay alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	topic := awssns.NewTopic(r.Stack, jsii.String(idAlarmTopic), &awssns.TopicProps{
		MasterKey:  key,
		EnforceSSL: jsii.Bool(true),
	})
	// Publish permission on the topic policy and use of the key on the key policy, both
	// only for alarms of this account.
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), &awsiam.ServicePrincipalOpts{
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": r.Stack.Account()},
		},
	})
	topic.GrantPublish(cloudwatch)
	if r.props.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(r.props.AlarmEmail), nil))
	}
	action := awscloudwatchactions.NewSnsAction(topic)

	period := awscdk.Duration_Seconds(jsii.Number(alarmPeriod))
	maximum := &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}
	sum := &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}
	process := r.functions[settings.FunctionProcess]
	s := r.props.Settings

	alarms := []struct {
		id          string
		description string
		metric      awscloudwatch.IMetric
		threshold   float64
	}{
		{
			"JobsDLQDepthAlarm",
			"A job is in the jobs DLQ: inspect it with `relay dlq list` and redrive it once fixed.",
			r.queues[settings.QueueJobsDLQ].MetricApproximateNumberOfMessagesVisible(maximum),
			0,
		},
		{
			"NotifiedFailuresDepthAlarm",
			"The notified function failed an SNS event on every attempt; the event is in the notified failures queue.",
			r.queues[settings.QueueNotifiedFailures].MetricApproximateNumberOfMessagesVisible(maximum),
			0,
		},
		{
			"JobsQueueOldestMessageAlarm",
			fmt.Sprintf("The oldest job in the jobs queue has waited longer than %s: process is behind or failing.", s.OldestMessageAlarmAge),
			r.queues[settings.QueueJobs].MetricApproximateAgeOfOldestMessage(maximum),
			s.OldestMessageAlarmAge.Seconds(),
		},
		{
			"ProcessErrorsAlarm",
			"The process function returned errors or timed out.",
			process.MetricErrors(sum),
			0,
		},
		{
			"ProcessThrottlesAlarm",
			"Invokes of the process function were throttled.",
			process.MetricThrottles(sum),
			0,
		},
	}
	for _, a := range alarms {
		alarm := awscloudwatch.NewAlarm(r.Stack, jsii.String(a.id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(a.description),
			Metric:             a.metric,
			Threshold:          jsii.Number(a.threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(action)
	}

	awscdk.NewCfnOutput(r.Stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{
		Value:       topic.TopicArn(),
		Description: jsii.String("ARN of the topic the relay alarms publish to"),
	})
}
