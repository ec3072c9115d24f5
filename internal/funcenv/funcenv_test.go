package funcenv

import (
	"bytes"
	"encoding/json"
	"testing"
)

func env(values map[string]string) Getenv {
	return func(name string) string { return values[name] }
}

func TestRequiredNamesMissingVariable(t *testing.T) {
	_, err := Required(env(nil), "JOBS_QUEUE_URL")
	want := "environment variable JOBS_QUEUE_URL is not set; set it before starting the function"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	got, err := Required(env(map[string]string{"JOBS_QUEUE_URL": "http://127.0.0.1:1/q"}), "JOBS_QUEUE_URL")
	if err != nil || got != "http://127.0.0.1:1/q" {
		t.Errorf("Required = %q, %v; want the value", got, err)
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		value   string
		want    int
		wantErr string
	}{
		{"", 10, ""},
		{"25", 25, ""},
		{"0", 0, "environment variable MAX_PARALLEL_JOBS=0 is out of range 1-100"},
		{"ten", 0, `environment variable MAX_PARALLEL_JOBS="ten" is not an integer`},
	}
	for _, tt := range tests {
		got, err := Int(env(map[string]string{"MAX_PARALLEL_JOBS": tt.value}), "MAX_PARALLEL_JOBS", 10, 1, 100)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Int(%q) error = %v, want %q", tt.value, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Int(%q) = %d, %v; want %d", tt.value, got, err, tt.want)
		}
	}
}

func TestLoggerLevel(t *testing.T) {
	var out bytes.Buffer
	logger, err := Logger(env(map[string]string{"LOG_LEVEL": "WARN"}), &out)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("hidden")
	logger.Warn("shown", "job_id", "a")

	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("output %q is not one JSON line: %v", out.String(), err)
	}
	if line["msg"] != "shown" || line["job_id"] != "a" {
		t.Errorf("line = %v, want the warning only", line)
	}

	_, err = Logger(env(map[string]string{"LOG_LEVEL": "loud"}), &out)
	want := `environment variable LOG_LEVEL="loud" is not debug, info, warn or error`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
