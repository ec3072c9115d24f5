// Command infra is the CDK app that deploys relay. The CDK CLI runs it (cdk.json:
// `go run ./infra`) from the repository root, where the function bootstraps are in
// .build/lambda/<function>/bootstrap. Settings come from CDK context: `-c deliveryDelay=60`.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// stackID is the construct ID, and so the default CloudFormation stack name, of the stack.
const stackID = "Relay"

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(appProps())
	props, err := propsFromContext(app.Node())
	if err != nil {
		return err
	}
	props.Description = jsii.String("relay: a job pipeline of SQS, Lambda and SNS")
	if _, err := NewRelayStack(app, stackID, props); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// appProps returns nil when the CDK CLI runs the app, because the CLI sets CDK_OUTDIR and
// passes the context for asset metadata. Run on its own (`go run ./infra`), the app would
// write to a temporary folder that is deleted on exit, so it writes to cdk.out and adds
// the aws:asset:path metadata that `sam local invoke` reads.
func appProps() *awscdk.AppProps {
	if os.Getenv("CDK_OUTDIR") != "" {
		return nil
	}
	return &awscdk.AppProps{
		Outdir:  jsii.String("cdk.out"),
		Context: &map[string]any{"aws:cdk:enable-asset-metadata": true},
	}
}
