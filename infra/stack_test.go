package main

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/relay-pipeline/relay/internal/settings"
)

// TestDefaultTemplate checks the stack synthesized with the defaults and no email
// addresses. The subtests share one synth, which takes seconds.
func TestDefaultTemplate(t *testing.T) {
	_, tmpl := synth(t, nil)

	t.Run("functions", func(t *testing.T) { checkFunctions(t, tmpl) })
	t.Run("jobs queue", func(t *testing.T) { checkJobsQueue(t, tmpl) })
	t.Run("queues encrypted and SSL only", func(t *testing.T) { checkQueuesSecure(t, tmpl) })
	t.Run("topics encrypted and SSL only", func(t *testing.T) { checkTopicsSecure(t, tmpl) })
	t.Run("event source mapping", func(t *testing.T) { checkEventSourceMapping(t, tmpl) })
	t.Run("notified subscription", func(t *testing.T) { checkNotifiedSubscription(t, tmpl) })
	t.Run("notified on-failure destination", func(t *testing.T) { checkOnFailure(t, tmpl) })
	t.Run("enqueue function URL", func(t *testing.T) { checkFunctionURL(t, tmpl) })
	t.Run("no email subscriptions", func(t *testing.T) {
		if got := emailSubscriptions(tmpl); len(got) != 0 {
			t.Errorf("template has email subscriptions %s, want none without notifyEmail and alarmEmail", show(got))
		}
	})
	t.Run("alarms", func(t *testing.T) { checkAlarms(t, tmpl) })
	t.Run("outputs", func(t *testing.T) { checkOutputs(t, tmpl) })
	t.Run("least privilege", func(t *testing.T) { checkLeastPrivilege(t, tmpl) })
	t.Run("nag suppressions have reasons", func(t *testing.T) { checkSuppressionReasons(t, tmpl) })
}

func checkFunctions(t *testing.T, tmpl *template) {
	functions := tmpl.ofType("AWS::Lambda::Function")
	if len(functions) != 3 {
		t.Fatalf("template has %d functions, want 3", len(functions))
	}
	for _, name := range []string{settings.FunctionEnqueue, settings.FunctionProcess, settings.FunctionNotified} {
		_, fn := tmpl.byPath(t, functionID(name))
		checkProperty(t, name, fn, "Runtime", "provided.al2023")
		checkProperty(t, name, fn, "Architectures", []string{"arm64"})
		checkProperty(t, name, fn, "Handler", "bootstrap")

		logGroupID, _ := tmpl.byPath(t, functionID(name)+"Logs")
		checkProperty(t, name, fn, "LoggingConfig", map[string]any{
			"ApplicationLogLevel": "INFO",
			"LogFormat":           "JSON",
			"LogGroup":            ref(logGroupID),
		})

		// SAM reads these to find the function's code in cdk.out.
		if path, _ := fn.Metadata["aws:asset:path"].(string); !strings.HasPrefix(path, "asset.") {
			t.Errorf("%s: aws:asset:path = %q, want an asset folder", name, path)
		}
		if got := fn.Metadata["aws:asset:property"]; got != "Code" {
			t.Errorf("%s: aws:asset:property = %v, want Code", name, got)
		}
	}
}

func checkJobsQueue(t *testing.T, tmpl *template) {
	_, queue := tmpl.byPath(t, idJobsQueue)
	_, dlq := tmpl.byPath(t, idJobsDLQ)
	_, process := tmpl.byPath(t, functionID(settings.FunctionProcess))
	esm := onlyResource(t, tmpl, "AWS::Lambda::EventSourceMapping")

	visibility := number(t, queue.Properties["VisibilityTimeout"])
	timeout := number(t, process.Properties["Timeout"])
	window := number(t, esm.Properties["MaximumBatchingWindowInSeconds"])
	if visibility < 6*timeout+window {
		t.Errorf("VisibilityTimeout = %v, want at least 6 × process Timeout %v + batching window %v = %v",
			visibility, timeout, window, 6*timeout+window)
	}
	if delay := number(t, queue.Properties["DelaySeconds"]); delay <= 0 {
		t.Errorf("DelaySeconds = %v, want more than 0", delay)
	}

	redrive, _ := queue.Properties["RedrivePolicy"].(map[string]any)
	if count := number(t, redrive["maxReceiveCount"]); count < 5 {
		t.Errorf("RedrivePolicy maxReceiveCount = %v, want at least 5", count)
	}
	dlqRetention := number(t, dlq.Properties["MessageRetentionPeriod"])
	queueRetention := number(t, queue.Properties["MessageRetentionPeriod"])
	if dlqRetention <= queueRetention {
		t.Errorf("DLQ MessageRetentionPeriod = %v, want longer than the jobs queue's %v", dlqRetention, queueRetention)
	}
}

func checkQueuesSecure(t *testing.T, tmpl *template) {
	queues := tmpl.ofType("AWS::SQS::Queue")
	if len(queues) != 3 {
		t.Errorf("template has %d queues, want 3", len(queues))
	}
	policies := tmpl.ofType("AWS::SQS::QueuePolicy")
	for id, q := range queues {
		checkProperty(t, id, q, "SqsManagedSseEnabled", true)
		if !hasSSLDeny(policies, "Queues", id, "sqs:*") {
			t.Errorf("queue %s has no policy that denies requests without TLS", id)
		}
	}
}

func checkTopicsSecure(t *testing.T, tmpl *template) {
	topics := tmpl.ofType("AWS::SNS::Topic")
	if len(topics) != 2 {
		t.Errorf("template has %d topics, want the results topic and the alarm topic", len(topics))
	}
	policies := tmpl.ofType("AWS::SNS::TopicPolicy")
	for id, topic := range topics {
		if topic.Properties["KmsMasterKeyId"] == nil {
			t.Errorf("topic %s has no KmsMasterKeyId, want server-side encryption", id)
		}
		if !hasSSLDeny(policies, "Topics", id, "sns:Publish") {
			t.Errorf("topic %s has no policy that denies publishing without TLS", id)
		}
	}
}

// hasSSLDeny reports whether one of policies applies to the resource with logical ID id
// (listed under listKey) and denies action when aws:SecureTransport is false.
func hasSSLDeny(policies map[string]resource, listKey, id, action string) bool {
	for _, p := range policies {
		if !slices.ContainsFunc(asSlice(p.Properties[listKey]), func(v any) bool { return jsonEqual(v, ref(id)) }) {
			continue
		}
		for _, st := range statements(p.Properties["PolicyDocument"]) {
			if st["Effect"] == "Deny" && jsonEqual(st["Action"], action) &&
				jsonEqual(st["Condition"], map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}) {
				return true
			}
		}
	}
	return false
}

func checkEventSourceMapping(t *testing.T, tmpl *template) {
	s := settings.Default()
	esm := onlyResource(t, tmpl, "AWS::Lambda::EventSourceMapping")
	queueID, _ := tmpl.byPath(t, idJobsQueue)
	processID, _ := tmpl.byPath(t, functionID(settings.FunctionProcess))

	checkProperty(t, "event source mapping", esm, "EventSourceArn", getAtt(queueID, "Arn"))
	checkProperty(t, "event source mapping", esm, "FunctionName", ref(processID))
	checkProperty(t, "event source mapping", esm, "FunctionResponseTypes", []string{"ReportBatchItemFailures"})
	checkProperty(t, "event source mapping", esm, "BatchSize", s.BatchSize)
	checkProperty(t, "event source mapping", esm, "MaximumBatchingWindowInSeconds", s.BatchingWindow.Seconds())
	checkProperty(t, "event source mapping", esm, "ScalingConfig", map[string]any{"MaximumConcurrency": s.MaxConcurrency})
}

func checkNotifiedSubscription(t *testing.T, tmpl *template) {
	topicID, _ := tmpl.byPath(t, idResultsTopic)
	notifiedID, _ := tmpl.byPath(t, functionID(settings.FunctionNotified))

	subscription := onlyResource(t, tmpl, "AWS::SNS::Subscription")
	checkProperty(t, "subscription", subscription, "Protocol", "lambda")
	checkProperty(t, "subscription", subscription, "TopicArn", ref(topicID))
	checkProperty(t, "subscription", subscription, "Endpoint", getAtt(notifiedID, "Arn"))

	permission := onlyResource(t, tmpl, "AWS::Lambda::Permission")
	checkProperty(t, "permission", permission, "Principal", "sns.amazonaws.com")
	checkProperty(t, "permission", permission, "SourceArn", ref(topicID))
	checkProperty(t, "permission", permission, "FunctionName", getAtt(notifiedID, "Arn"))
}

func checkOnFailure(t *testing.T, tmpl *template) {
	notifiedID, _ := tmpl.byPath(t, functionID(settings.FunctionNotified))
	failuresID, _ := tmpl.byPath(t, idNotifiedFailures)

	config := onlyResource(t, tmpl, "AWS::Lambda::EventInvokeConfig")
	checkProperty(t, "async invoke config", config, "FunctionName", ref(notifiedID))
	checkProperty(t, "async invoke config", config, "MaximumRetryAttempts", 2)
	checkProperty(t, "async invoke config", config, "DestinationConfig", map[string]any{
		"OnFailure": map[string]any{"Destination": getAtt(failuresID, "Arn")},
	})
}

func checkFunctionURL(t *testing.T, tmpl *template) {
	enqueueID, _ := tmpl.byPath(t, functionID(settings.FunctionEnqueue))
	url := onlyResource(t, tmpl, "AWS::Lambda::Url")
	checkProperty(t, "function URL", url, "AuthType", "AWS_IAM")
	checkProperty(t, "function URL", url, "TargetFunctionArn", getAtt(enqueueID, "Arn"))
}

func checkAlarms(t *testing.T, tmpl *template) {
	alarmTopicID, _ := tmpl.byPath(t, idAlarmTopic)
	processID, _ := tmpl.byPath(t, functionID(settings.FunctionProcess))
	jobsID, _ := tmpl.byPath(t, idJobsQueue)
	dlqID, _ := tmpl.byPath(t, idJobsDLQ)
	failuresID, _ := tmpl.byPath(t, idNotifiedFailures)

	want := []struct {
		path, namespace, metric, dimension string
		dimensionValue                     any
		threshold                          float64
	}{
		{"JobsDLQDepthAlarm", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", getAtt(dlqID, "QueueName"), 0},
		{"NotifiedFailuresDepthAlarm", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", getAtt(failuresID, "QueueName"), 0},
		{"JobsQueueOldestMessageAlarm", "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", getAtt(jobsID, "QueueName"),
			settings.Default().OldestMessageAlarmAge.Seconds()},
		{"ProcessErrorsAlarm", "AWS/Lambda", "Errors", "FunctionName", ref(processID), 0},
		{"ProcessThrottlesAlarm", "AWS/Lambda", "Throttles", "FunctionName", ref(processID), 0},
	}
	if got := len(tmpl.ofType("AWS::CloudWatch::Alarm")); got != len(want) {
		t.Errorf("template has %d alarms, want %d", got, len(want))
	}
	for _, w := range want {
		_, alarm := tmpl.byPath(t, w.path)
		checkProperty(t, w.path, alarm, "Namespace", w.namespace)
		checkProperty(t, w.path, alarm, "MetricName", w.metric)
		checkProperty(t, w.path, alarm, "Dimensions", []any{map[string]any{"Name": w.dimension, "Value": w.dimensionValue}})
		checkProperty(t, w.path, alarm, "Threshold", w.threshold)
		checkProperty(t, w.path, alarm, "ComparisonOperator", "GreaterThanThreshold")
		checkProperty(t, w.path, alarm, "AlarmActions", []any{ref(alarmTopicID)})
	}

	keyID, key := tmpl.byPath(t, idAlarmTopicKey)
	checkProperty(t, "alarm topic key", key, "EnableKeyRotation", true)
	_, topic := tmpl.byPath(t, idAlarmTopic)
	checkProperty(t, "alarm topic", topic, "KmsMasterKeyId", getAtt(keyID, "Arn"))

	cloudwatchMayUseKey := false
	for _, st := range statements(key.Properties["KeyPolicy"]) {
		if jsonEqual(st["Principal"], map[string]any{"Service": "cloudwatch.amazonaws.com"}) && st["Effect"] == "Allow" {
			cloudwatchMayUseKey = true
		}
	}
	if !cloudwatchMayUseKey {
		t.Errorf("alarm topic key policy %s does not allow cloudwatch.amazonaws.com", show(key.Properties["KeyPolicy"]))
	}
}

func checkOutputs(t *testing.T, tmpl *template) {
	want := map[string]any{
		"JobsQueueUrl":             ref(mustID(t, tmpl, idJobsQueue)),
		"JobsDLQUrl":               ref(mustID(t, tmpl, idJobsDLQ)),
		"NotifiedFailuresQueueUrl": ref(mustID(t, tmpl, idNotifiedFailures)),
		"ResultsTopicArn":          ref(mustID(t, tmpl, idResultsTopic)),
		"AlarmTopicArn":            ref(mustID(t, tmpl, idAlarmTopic)),
		"EnqueueFunctionUrl":       getAtt(mustID(t, tmpl, "Enqueue/FunctionUrl"), "FunctionUrl"),
		"EnqueueFunctionName":      ref(mustID(t, tmpl, "Enqueue")),
		"ProcessFunctionName":      ref(mustID(t, tmpl, "Process")),
		"NotifiedFunctionName":     ref(mustID(t, tmpl, "Notified")),
	}
	for name, value := range want {
		output, ok := tmpl.Outputs[name]
		if !ok {
			t.Errorf("template has no output %s", name)
			continue
		}
		if !jsonEqual(output.Value, value) {
			t.Errorf("output %s = %s, want %s", name, show(output.Value), show(value))
		}
		if output.Description == "" {
			t.Errorf("output %s has no description", name)
		}
	}
	if len(tmpl.Outputs) != len(want) {
		t.Errorf("template has outputs %v, want %v", slices.Sorted(maps.Keys(tmpl.Outputs)), slices.Sorted(maps.Keys(want)))
	}
}

// checkLeastPrivilege compares every statement of every function role with the actions
// its code needs, and checks that no role has a managed or inline policy.
func checkLeastPrivilege(t *testing.T, tmpl *template) {
	id := func(path string) string { return mustID(t, tmpl, path) }
	logs := func(function string) map[string]any {
		return allow([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, getAtt(id(function+"Logs"), "Arn"))
	}
	send := func(queue string) map[string]any {
		return allow([]string{"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"}, getAtt(id(queue), "Arn"))
	}
	consume := allow([]string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
		"sqs:GetQueueUrl", "sqs:ReceiveMessage"}, getAtt(id(idJobsQueue), "Arn"))
	publish := allow([]string{"sns:Publish"}, ref(id(idResultsTopic)))
	managedSNSKey := allow([]string{"kms:Decrypt", "kms:GenerateDataKey*"}, map[string]any{"Fn::Join": []any{"", []any{
		"arn:", ref("AWS::Partition"), ":kms:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":key/*",
	}}})
	managedSNSKey["Condition"] = map[string]any{"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": "alias/aws/sns"}}

	want := map[string][]map[string]any{
		"Enqueue":  {logs("Enqueue"), send(idJobsQueue)},
		"Process":  {logs("Process"), consume, send(idJobsDLQ), publish, managedSNSKey},
		"Notified": {logs("Notified"), send(idNotifiedFailures)},
	}
	for function, wantStatements := range want {
		roleID, role := tmpl.byPath(t, function+"Role")
		if role.Properties["ManagedPolicyArns"] != nil || role.Properties["Policies"] != nil {
			t.Errorf("%s role has managed or inline policies %s, want none", function, show(role.Properties))
		}
		got := roleStatements(tmpl, roleID)
		if !jsonEqual(normalize(got), normalize(wantStatements)) {
			t.Errorf("%s role statements:\n got %s\nwant %s", function, show(normalize(got)), show(normalize(wantStatements)))
		}
	}
}

func allow(actions []string, resource any) map[string]any {
	return map[string]any{"Effect": "Allow", "Action": actions, "Resource": resource}
}

// roleStatements returns the statements of every IAM policy attached to the role.
func roleStatements(tmpl *template, roleID string) []map[string]any {
	var found []map[string]any
	for _, p := range tmpl.ofType("AWS::IAM::Policy") {
		if slices.ContainsFunc(asSlice(p.Properties["Roles"]), func(v any) bool { return jsonEqual(v, ref(roleID)) }) {
			found = append(found, statements(p.Properties["PolicyDocument"])...)
		}
	}
	return found
}

// normalize returns the statements as sorted JSON strings, with a single action written
// as a list, so that two sets of statements compare equal regardless of order.
func normalize(sts []map[string]any) []string {
	out := make([]string, 0, len(sts))
	for _, st := range sts {
		c := maps.Clone(st)
		if action, ok := c["Action"].(string); ok {
			c["Action"] = []string{action}
		}
		out = append(out, show(c))
	}
	sort.Strings(out)
	return out
}

func checkSuppressionReasons(t *testing.T, tmpl *template) {
	count := 0
	for id, r := range tmpl.Resources {
		nag, _ := r.Metadata["cdk_nag"].(map[string]any)
		for _, s := range asSlice(nag["rules_to_suppress"]) {
			rule, _ := s.(map[string]any)
			count++
			if reason, _ := rule["reason"].(string); len(reason) < 40 {
				t.Errorf("%s: suppression of %v has reason %q, want one that explains it", id, rule["id"], reason)
			}
		}
	}
	if count == 0 {
		t.Error("template has no cdk-nag suppressions, want the ones suppressNagFindings adds")
	}
}

// TestEmailSubscriptions checks that notifyEmail subscribes to failed results only and
// alarmEmail to the alarm topic.
func TestEmailSubscriptions(t *testing.T) {
	_, tmpl := synth(t, map[string]any{
		contextNotifyEmail: "ops@example.com",
		contextAlarmEmail:  "alarms@example.com",
	})
	resultsID := mustID(t, tmpl, idResultsTopic)
	alarmsID := mustID(t, tmpl, idAlarmTopic)

	subscriptions := emailSubscriptions(tmpl)
	if len(subscriptions) != 2 {
		t.Fatalf("template has %d email subscriptions, want 2: %s", len(subscriptions), show(subscriptions))
	}
	for _, s := range subscriptions {
		switch s.Properties["Endpoint"] {
		case "ops@example.com":
			checkProperty(t, "notify email", s, "TopicArn", ref(resultsID))
			checkProperty(t, "notify email", s, "FilterPolicy", map[string]any{"status": []string{"failed"}})
		case "alarms@example.com":
			checkProperty(t, "alarm email", s, "TopicArn", ref(alarmsID))
			if s.Properties["FilterPolicy"] != nil {
				t.Errorf("alarm email has FilterPolicy %s, want none", show(s.Properties["FilterPolicy"]))
			}
		default:
			t.Errorf("unexpected email subscription %s", show(s.Properties))
		}
	}
}

func emailSubscriptions(tmpl *template) []resource {
	var found []resource
	for _, s := range tmpl.ofType("AWS::SNS::Subscription") {
		if s.Properties["Protocol"] == "email" {
			found = append(found, s)
		}
	}
	return found
}

// TestInvalidContextFailsSynth checks that bad context values stop the app before it
// builds a stack, with a message that names the values and the fix.
func TestInvalidContextFailsSynth(t *testing.T) {
	tests := []struct {
		name    string
		context map[string]any
		want    string
	}{
		{
			"process timeout above visibility",
			map[string]any{settings.KeyProcessTimeout: "600"},
			"visibilityTimeout 1860s must be at least 6 × processTimeout 600s + batchingWindow 5s = 3605s: raise visibilityTimeout or lower processTimeout",
		},
		{
			"max receive count below 5",
			map[string]any{settings.KeyMaxReceiveCount: "3"},
			"maxReceiveCount 3 is out of range 5-1000",
		},
		{
			"value that does not parse",
			map[string]any{settings.KeyDeliveryDelay: "soon"},
			`context key deliveryDelay (seconds): value "soon" is neither whole seconds (60) nor a Go duration (15m)`,
		},
		{
			"key in the wrong case",
			map[string]any{"deliverydelay": "60"},
			"context key deliverydelay is unknown: did you mean deliveryDelay?",
		},
		{
			"email address that does not parse",
			map[string]any{contextNotifyEmail: "ops at example"},
			`context key notifyEmail: value "ops at example" is not an email address`,
		},
		{
			"email address that is not a string",
			map[string]any{contextAlarmEmail: float64(42)},
			"context key alarmEmail: value 42 is a float64, not an email address",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newTestApp(t, tt.context)
			err := buildApp(app, testAssetRoot(t))
			if err == nil {
				t.Fatalf("buildApp with %v: error = nil, want %q", tt.context, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("buildApp with %v: error = %q, want it to contain %q", tt.context, err, tt.want)
			}
			if n := len(*app.Node().Children()); n != 0 {
				t.Errorf("app has %d children after the error, want none", n)
			}
		})
	}
}

// buildApp does what run does, with the bootstraps in assetRoot, up to the synth.
func buildApp(app awscdk.App, assetRoot string) error {
	props, err := propsFromContext(app.Node())
	if err != nil {
		return err
	}
	props.AssetRoot = assetRoot
	_, err = NewRelayStack(app, stackID, props)
	return err
}

func TestMissingBootstrapFailsSynth(t *testing.T) {
	root := testAssetRoot(t)
	app := newTestApp(t, nil)
	props := &RelayStackProps{Settings: settings.Default(), AssetRoot: t.TempDir()}

	_, err := NewRelayStack(app, stackID, props)
	if err == nil {
		t.Fatal("NewRelayStack with an empty asset root: error = nil, want bootstrap not found")
	}
	for _, name := range []string{"enqueue", "process", "notified"} {
		if want := "function " + name + ": bootstrap "; !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q, want it to contain %q", err, want)
		}
	}
	if !strings.Contains(err.Error(), "run `make build` first") {
		t.Errorf("error = %q, want it to say to run make build", err)
	}

	props.AssetRoot = root
	if _, err := NewRelayStack(app, stackID, props); err != nil {
		t.Errorf("NewRelayStack with every bootstrap: %v", err)
	}
}

func TestContextNumbersFromCdkJSON(t *testing.T) {
	app := newTestApp(t, map[string]any{
		settings.KeyDeliveryDelay: float64(60),
		settings.KeyBatchSize:     float64(5),
	})
	props, err := propsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	if got := props.Settings.DeliveryDelay.Seconds(); got != 60 {
		t.Errorf("DeliveryDelay = %vs, want 60s", got)
	}
	if got := props.Settings.BatchSize; got != 5 {
		t.Errorf("BatchSize = %d, want 5", got)
	}
}

func TestCdkJSONRunsThisApp(t *testing.T) {
	app := newTestApp(t, nil)
	if got := app.Node().TryGetContext(jsii.String("@aws-cdk/aws-lambda:useCdkManagedLogGroup")); got != true {
		t.Errorf("cdk.json context @aws-cdk/aws-lambda:useCdkManagedLogGroup = %v, want true (the recommended flags)", got)
	}
	if _, ok := cdkJSONContext(t)["aws:cdk:enable-asset-metadata"]; ok {
		t.Error("cdk.json sets aws:cdk:enable-asset-metadata, a key the CDK CLI reserves and sets itself")
	}
}

// onlyResource returns the one resource of a type and fails the test when there is not
// exactly one.
func onlyResource(t *testing.T, tmpl *template, resourceType string) resource {
	t.Helper()
	found := tmpl.ofType(resourceType)
	if len(found) != 1 {
		t.Fatalf("template has %d resources of type %s, want 1", len(found), resourceType)
	}
	for _, r := range found {
		return r
	}
	return resource{}
}

func mustID(t *testing.T, tmpl *template, path string) string {
	t.Helper()
	id, _ := tmpl.byPath(t, path)
	return id
}

func number(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("value %s is not a number", show(v))
	}
	return n
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// statements returns the statements of a policy document decoded from JSON.
func statements(document any) []map[string]any {
	doc, _ := document.(map[string]any)
	var out []map[string]any
	for _, s := range asSlice(doc["Statement"]) {
		if st, ok := s.(map[string]any); ok {
			out = append(out, st)
		}
	}
	return out
}
