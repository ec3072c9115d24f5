package settings

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
}

func TestDefaultFitsMinutesLongJobs(t *testing.T) {
	s := Default()
	if s.ProcessTimeout < time.Minute {
		t.Errorf("ProcessTimeout = %s, want at least 1m for minutes-long jobs", s.ProcessTimeout)
	}
	if min := 6*s.ProcessTimeout + s.BatchingWindow; s.VisibilityTimeout < min {
		t.Errorf("VisibilityTimeout = %s, want at least %s", s.VisibilityTimeout, min)
	}
	if s.DeliveryDelay <= 0 {
		t.Errorf("DeliveryDelay = %s, want more than 0", s.DeliveryDelay)
	}
	if s.MaxReceiveCount < 5 {
		t.Errorf("MaxReceiveCount = %d, want at least 5", s.MaxReceiveCount)
	}
	if s.DLQRetention <= s.QueueRetention {
		t.Errorf("DLQRetention = %s, want longer than QueueRetention %s", s.DLQRetention, s.QueueRetention)
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Settings)
		want   []string // substrings of the error, in order of appearance
	}{
		{
			name:   "visibility below 6x process timeout plus window",
			change: func(s *Settings) { s.VisibilityTimeout = 1800 * time.Second },
			want: []string{
				"visibilityTimeout 1800s must be at least 6 × processTimeout 300s + batchingWindow 5s = 1805s",
				"raise visibilityTimeout or lower processTimeout",
			},
		},
		{
			name:   "process timeout raised without visibility",
			change: func(s *Settings) { s.ProcessTimeout = 600 * time.Second },
			want:   []string{"visibilityTimeout 1860s must be at least 6 × processTimeout 600s + batchingWindow 5s = 3605s"},
		},
		{
			name:   "dlq retention not longer than queue retention",
			change: func(s *Settings) { s.DLQRetention = s.QueueRetention },
			want:   []string{"dlqRetention 345600s must be longer than queueRetention 345600s", "raise dlqRetention or lower queueRetention"},
		},
		{
			name:   "max receive count below 5",
			change: func(s *Settings) { s.MaxReceiveCount = 4 },
			want:   []string{"maxReceiveCount 4 is out of range 5-1000"},
		},
		{
			name:   "delivery delay above 900s",
			change: func(s *Settings) { s.DeliveryDelay = 901 * time.Second },
			want:   []string{"deliveryDelay 901s is out of range 0s-900s"},
		},
		{
			name:   "max concurrency below 2",
			change: func(s *Settings) { s.MaxConcurrency = 1 },
			want:   []string{"maxConcurrency 1 is out of range 2-1000"},
		},
		{
			name:   "max concurrency above 1000",
			change: func(s *Settings) { s.MaxConcurrency = 1001 },
			want:   []string{"maxConcurrency 1001 is out of range 2-1000"},
		},
		{
			name: "batch size above 10 without window",
			change: func(s *Settings) {
				s.BatchingWindow = 0
				s.BatchSize = 11
			},
			want: []string{"batchSize 11 needs batchingWindow of at least 1s"},
		},
		{
			name:   "batching window above 300s",
			change: func(s *Settings) { s.BatchingWindow = 301 * time.Second },
			want:   []string{"batchingWindow 301s is out of range 0s-300s"},
		},
		{
			name:   "process timeout above 900s",
			change: func(s *Settings) { s.ProcessTimeout = 901 * time.Second },
			want:   []string{"processTimeout 901s is out of range 1s-900s"},
		},
		{
			name:   "fractional seconds",
			change: func(s *Settings) { s.EnqueueTimeout = 1500 * time.Millisecond },
			want:   []string{"enqueueTimeout 1.5s is not a whole number of seconds"},
		},
		{
			name:   "memory below 128",
			change: func(s *Settings) { s.NotifiedMemoryMiB = 64 },
			want:   []string{"notifiedMemory 64MiB is out of range 128-10240MiB"},
		},
		{
			name:   "retention above 14 days",
			change: func(s *Settings) { s.DLQRetention = 15 * day },
			want:   []string{"dlqRetention 1296000s is out of range 60s-1209600s"},
		},
		{
			name:   "notified retries above 2",
			change: func(s *Settings) { s.NotifiedRetryAttempts = 3 },
			want:   []string{"notifiedRetryAttempts 3 is out of range 0-2"},
		},
		{
			name:   "unknown log level",
			change: func(s *Settings) { s.LogLevel = "verbose" },
			want:   []string{`logLevel "verbose" is not a log level`},
		},
		{
			name:   "log retention not accepted by CloudWatch",
			change: func(s *Settings) { s.LogRetentionDays = 10 },
			want:   []string{"logRetentionDays 10 is not a retention period CloudWatch Logs accepts"},
		},
		{
			name:   "alarm age not above delivery delay",
			change: func(s *Settings) { s.OldestMessageAlarmAge = 60 * time.Second; s.DeliveryDelay = 60 * time.Second },
			want:   []string{"oldestMessageAlarmAge 60s must be longer than deliveryDelay 60s"},
		},
		{
			name:   "zero retry backoff",
			change: func(s *Settings) { s.RetryBackoff = 0 },
			want:   []string{"retryBackoff 0s is out of range 1s-43200s"},
		},
		{
			name:   "zero max parallel jobs",
			change: func(s *Settings) { s.MaxParallelJobs = 0 },
			want:   []string{"maxParallelJobs 0 is out of range 1-1000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Default()
			tt.change(&s)
			err := s.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.want)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Settings)
	}{
		{"visibility exactly 6x plus window", func(s *Settings) { s.VisibilityTimeout = 1805 * time.Second }},
		{"zero delivery delay", func(s *Settings) { s.DeliveryDelay = 0 }},
		{"batch size 10 without window", func(s *Settings) { s.BatchingWindow = 0; s.BatchSize = 10 }},
		{"batch size 10000 with window", func(s *Settings) { s.BatchSize = 10000 }},
		{"max concurrency 2", func(s *Settings) { s.MaxConcurrency = 2 }},
		{"max concurrency 1000", func(s *Settings) { s.MaxConcurrency = 1000 }},
		{"max timeout", func(s *Settings) { s.ProcessTimeout = 900 * time.Second; s.VisibilityTimeout = 5405 * time.Second }},
		{"no notified retries", func(s *Settings) { s.NotifiedRetryAttempts = 0 }},
		{"ten year log retention", func(s *Settings) { s.LogRetentionDays = 3653 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Default()
			tt.change(&s)
			if err := s.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	s := Default()
	s.MaxReceiveCount = 1
	s.MaxConcurrency = 0
	err := s.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want two problems")
	}
	for _, key := range []string{KeyMaxReceiveCount, KeyMaxConcurrency} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() = %q, want it to name %s", err, key)
		}
	}
}

func TestValidLogRetentionDaysIsACopy(t *testing.T) {
	days := ValidLogRetentionDays()
	days[0] = 2
	if got := ValidLogRetentionDays()[0]; got != 1 {
		t.Errorf("ValidLogRetentionDays()[0] = %d after a caller changed its copy, want 1", got)
	}
}
