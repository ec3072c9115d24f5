package job

import (
	"testing"
)

// FuzzParseJob checks that Parse and the request decoders never panic, and
// that every job Parse accepts is valid and survives a round trip through
// its SQS message body. The seed corpus is in testdata/fuzz/FuzzParseJob.
func FuzzParseJob(f *testing.F) {
	f.Add(`{"id":"a","task":"checksum","input":"x"}`)
	f.Add("a wordcount the quick brown fox")

	f.Fuzz(func(t *testing.T, body string) {
		_, _ = DecodeJSONRequest([]byte(body), fixedID)
		_, _ = DecodeTextRequest([]byte(body))

		j, err := Parse(body)
		if err != nil {
			return
		}
		if err := Validate(j); err != nil {
			t.Fatalf("Parse accepted %q as %+v, but Validate rejects it: %v", body, j, err)
		}

		message, _, err := Message(j)
		if err != nil {
			return // Too large for SQS; enqueue rejects it.
		}
		again, err := Parse(message)
		if err != nil {
			t.Fatalf("Parse of the message body %q of %+v: %v", message, j, err)
		}
		if again.ID != j.ID || again.Task != j.Task || again.Input != j.Input ||
			again.DelaySeconds != j.DelaySeconds || again.CorrelationID != j.CorrelationID || !again.EnqueuedAt.Equal(j.EnqueuedAt) {
			t.Fatalf("round trip changed the job: %+v became %+v", j, again)
		}
	})
}
