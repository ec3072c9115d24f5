package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/tasks"
)

// replayedEvents maps each sample event to the function whose tests replay
// it. A new file in events/ must be added here and replayed there.
var replayedEvents = map[string]string{
	"sqs-batch.json":         "process",
	"sns-notification.json":  "notified",
	"function-url-json.json": "enqueue",
	"function-url-text.json": "enqueue",
	"direct-invoke.json":     "enqueue",
}

func TestEveryEventFileIsReplayed(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(replayedEvents) {
		t.Errorf("events/ has %d JSON files, want the %d listed in replayedEvents", len(files), len(replayedEvents))
	}
	for _, f := range files {
		if _, ok := replayedEvents[filepath.Base(f)]; !ok {
			t.Errorf("%s is not replayed by any handler test", f)
		}
	}
}

func TestSampleJobsParse(t *testing.T) {
	f, err := os.Open("../../events/sample-jobs.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	registry := tasks.Builtin()
	scanner := bufio.NewScanner(f)
	line := 0
	for scanner.Scan() {
		line++
		text := scanner.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		j, err := job.Parse(text)
		if err != nil {
			t.Errorf("line %d: %v", line, err)
			continue
		}
		if !registry.Has(j.Task) {
			t.Errorf("line %d: task %q is not a built-in task", line, j.Task)
		}
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
}
