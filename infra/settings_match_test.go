package main

import (
	"testing"

	"github.com/relay-pipeline/relay/internal/settings"
)

// TestTemplateMatchesSettings synthesizes the stack with the default settings and with
// an override of every tunable, and checks each value in the template against the
// settings package: the expected values come from settings, never from literals.
func TestTemplateMatchesSettings(t *testing.T) {
	tests := []struct {
		name    string
		context map[string]any
	}{
		{"defaults", nil},
		{"overrides", map[string]any{
			settings.KeyProcessTimeout:        "120",
			settings.KeyProcessMemory:         "1024",
			settings.KeyEnqueueTimeout:        "20",
			settings.KeyEnqueueMemory:         "512",
			settings.KeyNotifiedTimeout:       "15",
			settings.KeyNotifiedMemory:        "256",
			settings.KeyNotifiedRetryAttempts: "1",
			settings.KeyVisibilityTimeout:     "800",
			settings.KeyDeliveryDelay:         float64(60), // a number, as cdk.json holds it
			settings.KeyQueueRetention:        "48h",
			settings.KeyDLQRetention:          "864000",
			settings.KeyMaxReceiveCount:       "8",
			settings.KeyBatchSize:             "25",
			settings.KeyBatchingWindow:        "20",
			settings.KeyMaxConcurrency:        "50",
			settings.KeyMaxParallelJobs:       "4",
			settings.KeyRetryBackoff:          "30",
			settings.KeyLogLevel:              "debug",
			settings.KeyLogRetentionDays:      "30",
			settings.KeyOldestMessageAlarmAge: "3600",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := settings.Load(func(key string) any {
				if v, ok := tt.context[key]; ok {
					return v
				}
				return nil
			})
			if err != nil {
				t.Fatalf("settings.Load: %v", err)
			}
			if tt.context != nil && want == settings.Default() {
				t.Fatal("the overrides leave the settings at their defaults, so the case proves nothing")
			}
			_, tmpl := synth(t, tt.context)
			checkTemplateMatches(t, tmpl, want)
		})
	}
}

// checkTemplateMatches checks every value of the template that comes from s.
func checkTemplateMatches(t *testing.T, tmpl *template, s settings.Settings) {
	t.Helper()
	topology := s.Topology()

	ids := queueIDs()
	queueLogicalIDs := map[string]string{}
	for _, q := range topology.Queues {
		id, r := tmpl.byPath(t, ids[q.Name])
		queueLogicalIDs[q.Name] = id
		checkProperty(t, q.Name, r, "DelaySeconds", q.DeliveryDelay.Seconds())
		checkProperty(t, q.Name, r, "VisibilityTimeout", q.VisibilityTimeout.Seconds())
		checkProperty(t, q.Name, r, "MessageRetentionPeriod", q.Retention.Seconds())
	}
	for _, q := range topology.Queues {
		_, r := tmpl.byPath(t, ids[q.Name])
		if q.DeadLetterQueue == "" {
			if _, ok := r.Properties["RedrivePolicy"]; ok {
				t.Errorf("queue %s has a RedrivePolicy, want none", q.Name)
			}
			continue
		}
		checkProperty(t, q.Name, r, "RedrivePolicy", map[string]any{
			"deadLetterTargetArn": getAtt(queueLogicalIDs[q.DeadLetterQueue], "Arn"),
			"maxReceiveCount":     q.MaxReceiveCount,
		})
	}

	functionLogicalIDs := map[string]string{}
	for _, f := range topology.Functions {
		id, r := tmpl.byPath(t, functionID(f.Name))
		functionLogicalIDs[f.Name] = id
		checkProperty(t, f.Name, r, "Timeout", f.Timeout.Seconds())
		checkProperty(t, f.Name, r, "MemorySize", f.MemoryMiB)

		variables := map[string]any{}
		for key, value := range f.Environment {
			variables[key] = value
		}
		for key, name := range f.ResourceEnvironment {
			// A queue's Ref is its URL and the topic's Ref is its ARN.
			if name == settings.TopicResults {
				topicID, _ := tmpl.byPath(t, idResultsTopic)
				variables[key] = ref(topicID)
			} else {
				variables[key] = ref(queueLogicalIDs[name])
			}
		}
		checkProperty(t, f.Name, r, "Environment", map[string]any{"Variables": variables})

		_, logGroup := tmpl.byPath(t, functionID(f.Name)+"Logs")
		checkProperty(t, f.Name+" log group", logGroup, "RetentionInDays", s.LogRetentionDays)
	}

	for _, m := range topology.EventSourceMappings {
		found := 0
		for _, r := range tmpl.ofType("AWS::Lambda::EventSourceMapping") {
			if !jsonEqual(r.Properties["FunctionName"], ref(functionLogicalIDs[m.Function])) {
				continue
			}
			found++
			checkProperty(t, "event source mapping", r, "EventSourceArn", getAtt(queueLogicalIDs[m.Queue], "Arn"))
			checkProperty(t, "event source mapping", r, "BatchSize", m.BatchSize)
			checkProperty(t, "event source mapping", r, "MaximumBatchingWindowInSeconds", m.BatchingWindow.Seconds())
			checkProperty(t, "event source mapping", r, "ScalingConfig", map[string]any{"MaximumConcurrency": m.MaxConcurrency})
			checkProperty(t, "event source mapping", r, "FunctionResponseTypes", []string{"ReportBatchItemFailures"})
		}
		if found != 1 {
			t.Errorf("template has %d event source mappings for %s, want 1", found, m.Function)
		}
	}

	for _, f := range topology.Functions {
		configs := 0
		for _, r := range tmpl.ofType("AWS::Lambda::EventInvokeConfig") {
			if !jsonEqual(r.Properties["FunctionName"], ref(functionLogicalIDs[f.Name])) {
				continue
			}
			configs++
			checkProperty(t, f.Name+" async invoke config", r, "MaximumRetryAttempts", f.AsyncRetryAttempts)
			checkProperty(t, f.Name+" async invoke config", r, "DestinationConfig", map[string]any{
				"OnFailure": map[string]any{"Destination": getAtt(queueLogicalIDs[f.OnFailureQueue], "Arn")},
			})
		}
		if want := boolToInt(f.OnFailureQueue != ""); configs != want {
			t.Errorf("template has %d async invoke configs for %s, want %d", configs, f.Name, want)
		}
	}

	_, ageAlarm := tmpl.byPath(t, "JobsQueueOldestMessageAlarm")
	checkProperty(t, "oldest message alarm", ageAlarm, "Threshold", s.OldestMessageAlarmAge.Seconds())
}

// checkProperty checks that the named property of r encodes to the same JSON as want.
func checkProperty(t *testing.T, label string, r resource, name string, want any) {
	t.Helper()
	if got := r.Properties[name]; !jsonEqual(got, want) {
		t.Errorf("%s: %s = %s, want %s", label, name, show(got), show(want))
	}
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
