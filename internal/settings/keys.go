package settings

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Keys of the overrides, one per tunable. In a CDK app they are context keys
// (`npx cdk synth -c deliveryDelay=60`). Keys documents each one with its unit.
const (
	KeyProcessTimeout        = "processTimeout"
	KeyProcessMemory         = "processMemory"
	KeyEnqueueTimeout        = "enqueueTimeout"
	KeyEnqueueMemory         = "enqueueMemory"
	KeyNotifiedTimeout       = "notifiedTimeout"
	KeyNotifiedMemory        = "notifiedMemory"
	KeyNotifiedRetryAttempts = "notifiedRetryAttempts"
	KeyVisibilityTimeout     = "visibilityTimeout"
	KeyDeliveryDelay         = "deliveryDelay"
	KeyQueueRetention        = "queueRetention"
	KeyDLQRetention          = "dlqRetention"
	KeyMaxReceiveCount       = "maxReceiveCount"
	KeyBatchSize             = "batchSize"
	KeyBatchingWindow        = "batchingWindow"
	KeyMaxConcurrency        = "maxConcurrency"
	KeyMaxParallelJobs       = "maxParallelJobs"
	KeyRetryBackoff          = "retryBackoff"
	KeyLogLevel              = "logLevel"
	KeyLogRetentionDays      = "logRetentionDays"
	KeyOldestMessageAlarmAge = "oldestMessageAlarmAge"
)

// Units of the override keys.
const (
	UnitSeconds = "seconds"
	UnitMiB     = "MiB"
	UnitCount   = "count"
	UnitDays    = "days"
	UnitLevel   = "level"
)

// Key documents one override key.
type Key struct {
	// Name is the key, such as "deliveryDelay".
	Name string
	// Unit is the unit of the value: UnitSeconds, UnitMiB, UnitCount, UnitDays or UnitLevel.
	// A value in seconds may also be a Go duration such as "90s", "15m" or "96h".
	Unit string
	// Doc is a one-line description of what the key sets.
	Doc string
}

// tunable binds a key to the field of Settings that it sets.
type tunable struct {
	Key
	field func(*Settings) any // *time.Duration, *int or *string
}

func tunables() []tunable {
	return []tunable{
		{Key{KeyProcessTimeout, UnitSeconds, "process function timeout (1-900)"},
			func(s *Settings) any { return &s.ProcessTimeout }},
		{Key{KeyProcessMemory, UnitMiB, "process function memory (128-10240)"},
			func(s *Settings) any { return &s.ProcessMemoryMiB }},
		{Key{KeyEnqueueTimeout, UnitSeconds, "enqueue function timeout (1-900)"},
			func(s *Settings) any { return &s.EnqueueTimeout }},
		{Key{KeyEnqueueMemory, UnitMiB, "enqueue function memory (128-10240)"},
			func(s *Settings) any { return &s.EnqueueMemoryMiB }},
		{Key{KeyNotifiedTimeout, UnitSeconds, "notified function timeout (1-900)"},
			func(s *Settings) any { return &s.NotifiedTimeout }},
		{Key{KeyNotifiedMemory, UnitMiB, "notified function memory (128-10240)"},
			func(s *Settings) any { return &s.NotifiedMemoryMiB }},
		{Key{KeyNotifiedRetryAttempts, UnitCount, "retries of a failed asynchronous notified invoke before the on-failure destination (0-2)"},
			func(s *Settings) any { return &s.NotifiedRetryAttempts }},
		{Key{KeyVisibilityTimeout, UnitSeconds, "jobs queue visibility timeout (at least 6 × processTimeout + batchingWindow, at most 43200)"},
			func(s *Settings) any { return &s.VisibilityTimeout }},
		{Key{KeyDeliveryDelay, UnitSeconds, "jobs queue delivery delay (0-900)"},
			func(s *Settings) any { return &s.DeliveryDelay }},
		{Key{KeyQueueRetention, UnitSeconds, "jobs queue message retention (60-1209600)"},
			func(s *Settings) any { return &s.QueueRetention }},
		{Key{KeyDLQRetention, UnitSeconds, "jobs DLQ and notified failure queue message retention (longer than queueRetention, at most 1209600)"},
			func(s *Settings) any { return &s.DLQRetention }},
		{Key{KeyMaxReceiveCount, UnitCount, "deliveries of a job before the redrive moves it to the DLQ (5-1000)"},
			func(s *Settings) any { return &s.MaxReceiveCount }},
		{Key{KeyBatchSize, UnitCount, "maximum records per process batch (1-10000, at most 10 when batchingWindow is 0)"},
			func(s *Settings) any { return &s.BatchSize }},
		{Key{KeyBatchingWindow, UnitSeconds, "time the event source mapping gathers records before it invokes process (0-300)"},
			func(s *Settings) any { return &s.BatchingWindow }},
		{Key{KeyMaxConcurrency, UnitCount, "maximum concurrent process invokes of the event source mapping (2-1000)"},
			func(s *Settings) any { return &s.MaxConcurrency }},
		{Key{KeyMaxParallelJobs, UnitCount, "jobs of one batch that process runs at once (1-1000), MAX_PARALLEL_JOBS"},
			func(s *Settings) any { return &s.MaxParallelJobs }},
		{Key{KeyRetryBackoff, UnitSeconds, "base of the visibility backoff after a transient failure (1-43200), RETRY_BACKOFF_SECONDS"},
			func(s *Settings) any { return &s.RetryBackoff }},
		{Key{KeyLogLevel, UnitLevel, "functions' log level: debug, info, warn or error, LOG_LEVEL"},
			func(s *Settings) any { return &s.LogLevel }},
		{Key{KeyLogRetentionDays, UnitDays, "CloudWatch Logs retention of the functions' logs (1, 3, 5, 7, 14, 30, 60, 90, … 3653)"},
			func(s *Settings) any { return &s.LogRetentionDays }},
		{Key{KeyOldestMessageAlarmAge, UnitSeconds, "age of the jobs queue's oldest message that raises an alarm (longer than deliveryDelay, 60-1209600)"},
			func(s *Settings) any { return &s.OldestMessageAlarmAge }},
	}
}

// Keys returns the documentation of every override key, in a stable order.
func Keys() []Key {
	ts := tunables()
	keys := make([]Key, len(ts))
	for i, t := range ts {
		keys[i] = t.Key
	}
	return keys
}

// WithOverrides returns a copy of s with every key that lookup returns a value for set to
// that value. lookup returns nil for a key that is not set, and a CDK app passes a
// function that calls Node().TryGetContext. A value may be a string (from `-c key=value`), a
// float64 or int (a number in cdk.json), or a time.Duration. A duration key takes whole
// seconds ("60") or a Go duration ("15m"). WithOverrides does not check ranges: call
// Validate on the result. An error names every key whose value does not parse.
func (s Settings) WithOverrides(lookup func(key string) any) (Settings, error) {
	var errs []error
	for _, t := range tunables() {
		raw := lookup(t.Name)
		if raw == nil {
			continue
		}
		if err := set(t.field(&s), raw); err != nil {
			errs = append(errs, fmt.Errorf("context key %s (%s): value %v %w", t.Name, t.Unit, quote(raw), err))
		}
	}
	return s, errors.Join(errs...)
}

// Load returns Default with the overrides from lookup applied (see WithOverrides), after
// checking the result with Validate.
func Load(lookup func(key string) any) (Settings, error) {
	s, err := Default().WithOverrides(lookup)
	if err != nil {
		return Settings{}, err
	}
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

func set(field, raw any) error {
	switch f := field.(type) {
	case *time.Duration:
		d, err := parseDuration(raw)
		if err != nil {
			return err
		}
		*f = d
	case *int:
		n, err := parseInt(raw)
		if err != nil {
			return err
		}
		*f = n
	case *string:
		text, ok := raw.(string)
		if !ok {
			return fmt.Errorf("is a %T, not a string", raw)
		}
		*f = strings.TrimSpace(text)
	default:
		panic(fmt.Sprintf("settings: tunable field of unsupported type %T", field))
	}
	return nil
}

func parseDuration(raw any) (time.Duration, error) {
	switch v := raw.(type) {
	case time.Duration:
		return v, nil
	case string:
		text := strings.TrimSpace(v)
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return secondsToDuration(n)
		}
		d, err := time.ParseDuration(text)
		if err != nil {
			return 0, errors.New("is neither whole seconds (60) nor a Go duration (15m)")
		}
		return d, nil
	default:
		n, err := parseInt(raw)
		if err != nil {
			return 0, err
		}
		return secondsToDuration(int64(n))
	}
}

func secondsToDuration(n int64) (time.Duration, error) {
	const limit = math.MaxInt64 / int64(time.Second)
	if n > limit || n < -limit {
		return 0, errors.New("is too large a number of seconds")
	}
	return time.Duration(n) * time.Second, nil
}

func parseInt(raw any) (int, error) {
	switch v := raw.(type) {
	case int:
		return v, nil
	case int64:
		return int(v), nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
			return 0, errors.New("is not a whole number")
		}
		return int(v), nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, errors.New("is not a whole number")
		}
		return n, nil
	default:
		return 0, fmt.Errorf("is a %T, not a number", raw)
	}
}

func quote(raw any) string {
	if s, ok := raw.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(raw)
}
