package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// TestCdkNagAwsSolutions runs the cdk-nag AwsSolutions pack on the stack with both email
// subscriptions, which adds the most resources, and expects no unsuppressed finding.
func TestCdkNagAwsSolutions(t *testing.T) {
	app := newTestApp(t, map[string]any{
		contextNotifyEmail: "ops@example.com",
		contextAlarmEmail:  "alarms@example.com",
		// With this flag, synth panics on the first error annotation; without it, the
		// test lists every finding.
		"@aws-cdk/core:annotationsInValidationReport": false,
	})
	props, err := propsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	props.AssetRoot = testAssetRoot(t)
	stack, err := NewRelayStack(app, stackID, props)
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)

	annotations := assertions.Annotations_FromStack(stack)
	all := jsii.String("*")
	rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	// Annotations.FindError and FindWarning return cxapi.SynthesisMessage in awscdk v2.277.0,
	// whose replacement has no Go binding yet.
	//lint:ignore SA1019 the assertions API returns this type; see above.
	for level, findings := range map[string]*[]*cxapi.SynthesisMessage{
		"error":   annotations.FindError(all, rule),
		"warning": annotations.FindWarning(all, rule),
	} {
		for _, f := range *findings {
			//lint:ignore SA1019 the fields of the type above.
			t.Errorf("cdk-nag %s at %s: %v", level, *f.Id, f.Entry.Data)
		}
	}
}
