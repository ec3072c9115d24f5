package settings

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// lookupOf returns a lookup over values, like a CDK app's TryGetContext.
func lookupOf(values map[string]any) func(string) any {
	return func(key string) any { return values[key] }
}

func TestWithOverridesSetsFields(t *testing.T) {
	tests := []struct {
		key   string
		value any
		got   func(Settings) any
		want  any
	}{
		{KeyDeliveryDelay, "60", func(s Settings) any { return s.DeliveryDelay }, 60 * time.Second},
		{KeyDeliveryDelay, " 60 ", func(s Settings) any { return s.DeliveryDelay }, 60 * time.Second},
		{KeyDeliveryDelay, float64(30), func(s Settings) any { return s.DeliveryDelay }, 30 * time.Second},
		{KeyDeliveryDelay, 15 * time.Second, func(s Settings) any { return s.DeliveryDelay }, 15 * time.Second},
		{KeyQueueRetention, "96h", func(s Settings) any { return s.QueueRetention }, 96 * time.Hour},
		{KeyProcessTimeout, "10m", func(s Settings) any { return s.ProcessTimeout }, 10 * time.Minute},
		{KeyVisibilityTimeout, "3700", func(s Settings) any { return s.VisibilityTimeout }, 3700 * time.Second},
		{KeyDLQRetention, "1209600", func(s Settings) any { return s.DLQRetention }, 14 * day},
		{KeyBatchingWindow, "0", func(s Settings) any { return s.BatchingWindow }, time.Duration(0)},
		{KeyRetryBackoff, "20", func(s Settings) any { return s.RetryBackoff }, 20 * time.Second},
		{KeyOldestMessageAlarmAge, "1h", func(s Settings) any { return s.OldestMessageAlarmAge }, time.Hour},
		{KeyEnqueueTimeout, "45", func(s Settings) any { return s.EnqueueTimeout }, 45 * time.Second},
		{KeyNotifiedTimeout, "20", func(s Settings) any { return s.NotifiedTimeout }, 20 * time.Second},
		{KeyProcessMemory, "1024", func(s Settings) any { return s.ProcessMemoryMiB }, 1024},
		{KeyEnqueueMemory, float64(512), func(s Settings) any { return s.EnqueueMemoryMiB }, 512},
		{KeyNotifiedMemory, 256, func(s Settings) any { return s.NotifiedMemoryMiB }, 256},
		{KeyNotifiedRetryAttempts, "1", func(s Settings) any { return s.NotifiedRetryAttempts }, 1},
		{KeyMaxReceiveCount, "8", func(s Settings) any { return s.MaxReceiveCount }, 8},
		{KeyBatchSize, "5", func(s Settings) any { return s.BatchSize }, 5},
		{KeyMaxConcurrency, "50", func(s Settings) any { return s.MaxConcurrency }, 50},
		{KeyMaxParallelJobs, "4", func(s Settings) any { return s.MaxParallelJobs }, 4},
		{KeyLogLevel, "debug", func(s Settings) any { return s.LogLevel }, "debug"},
		{KeyLogRetentionDays, "30", func(s Settings) any { return s.LogRetentionDays }, 30},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.key] = true
		t.Run(tt.key, func(t *testing.T) {
			s, err := Default().WithOverrides(lookupOf(map[string]any{tt.key: tt.value}))
			if err != nil {
				t.Fatalf("WithOverrides(%s=%v) error = %v", tt.key, tt.value, err)
			}
			if got := tt.got(s); got != tt.want {
				t.Errorf("WithOverrides(%s=%v) set %v, want %v", tt.key, tt.value, got, tt.want)
			}
		})
	}
	for _, k := range Keys() {
		if !covered[k.Name] {
			t.Errorf("key %s has no override case", k.Name)
		}
	}
}

func TestWithOverridesLeavesOtherFields(t *testing.T) {
	s, err := Default().WithOverrides(lookupOf(map[string]any{KeyDeliveryDelay: "60"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.DeliveryDelay = 60 * time.Second
	if !reflect.DeepEqual(s, want) {
		t.Errorf("WithOverrides(deliveryDelay=60) = %+v, want %+v", s, want)
	}
}

func TestWithOverridesRejects(t *testing.T) {
	tests := []struct {
		key   string
		value any
		want  string
	}{
		{KeyDeliveryDelay, "soon", `context key deliveryDelay (seconds): value "soon" is neither whole seconds (60) nor a Go duration (15m)`},
		{KeyDeliveryDelay, true, "context key deliveryDelay (seconds): value true is a bool, not a number"},
		{KeyBatchSize, "ten", `context key batchSize (count): value "ten" is not a whole number`},
		{KeyBatchSize, 2.5, "context key batchSize (count): value 2.5 is not a whole number"},
		{KeyProcessMemory, "512MiB", `context key processMemory (MiB): value "512MiB" is not a whole number`},
		{KeyLogLevel, float64(3), "context key logLevel (level): value 3 is a float64, not a string"},
		{KeyQueueRetention, "99999999999999999", `context key queueRetention (seconds): value "99999999999999999" is too large a number of seconds`},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, err := Default().WithOverrides(lookupOf(map[string]any{tt.key: tt.value}))
			if err == nil {
				t.Fatalf("WithOverrides(%s=%v) error = nil, want %q", tt.key, tt.value, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("WithOverrides(%s=%v) error = %q, want %q", tt.key, tt.value, err, tt.want)
			}
		})
	}
}

func TestLoadValidates(t *testing.T) {
	_, err := Load(lookupOf(map[string]any{KeyProcessTimeout: "600"}))
	if err == nil {
		t.Fatal("Load(processTimeout=600) error = nil, want the visibility timeout rule")
	}
	if want := "visibilityTimeout 1860s must be at least 6 × processTimeout 600s"; !strings.Contains(err.Error(), want) {
		t.Errorf("Load(processTimeout=600) error = %q, want it to contain %q", err, want)
	}

	s, err := Load(lookupOf(map[string]any{KeyProcessTimeout: "600", KeyVisibilityTimeout: "3605"}))
	if err != nil {
		t.Fatalf("Load(processTimeout=600, visibilityTimeout=3605) error = %v", err)
	}
	if s.ProcessTimeout != 10*time.Minute || s.VisibilityTimeout != 3605*time.Second {
		t.Errorf("Load set processTimeout %s and visibilityTimeout %s, want 10m0s and 1h0m5s", s.ProcessTimeout, s.VisibilityTimeout)
	}
}

func TestKeysAreUniqueAndDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys() {
		if seen[k.Name] {
			t.Errorf("key %s appears twice", k.Name)
		}
		seen[k.Name] = true
		if k.Unit == "" || k.Doc == "" {
			t.Errorf("key %s has unit %q and doc %q, want both set", k.Name, k.Unit, k.Doc)
		}
	}
	if got, want := len(seen), reflect.TypeFor[Settings]().NumField(); got != want {
		t.Errorf("Keys() has %d keys, want one per Settings field (%d)", got, want)
	}
}
