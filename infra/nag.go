package main

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/relay-pipeline/relay/internal/settings"
)

// suppressNagFindings records, on the resources concerned, why the findings of the
// cdk-nag AwsSolutions pack that the stack does not fix are acceptable. The suppressions
// are template metadata and change nothing that is deployed.
func (r *relayStack) suppressNagFindings() {
	cdknag.NagSuppressions_AddResourceSuppressions(r.queues[settings.QueueNotifiedFailures], &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is the on-failure destination of the notified function, so it is " +
			"itself where failed events end up, and its depth raises an alarm."),
	}}, jsii.Bool(true))

	cdknag.NagSuppressions_AddResourceSuppressions(r.functions[settings.FunctionProcess].Role(), &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Topic.grantPublish on a topic encrypted with the AWS managed key alias/aws/sns " +
			"names the key by alias, because its key ID is unknown at synth time. The statement applies " +
			"only to the key with that alias (condition kms:ResourceAliases) and only to kms:Decrypt " +
			"and kms:GenerateDataKey*, the actions SNS needs to encrypt a published message."),
		AppliesTo: &[]any{
			"Action::kms:GenerateDataKey*",
			"Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*",
		},
	}}, jsii.Bool(true))
}
