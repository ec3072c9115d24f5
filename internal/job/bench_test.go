package job

import (
	"strings"
	"testing"
)

func BenchmarkParseJSON(b *testing.B) {
	body := `{"id":"job-1","task":"checksum","input":"hello, relay","correlationId":"req-1","enqueuedAt":"2026-12-04T16:00:00Z"}`
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseText(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("job-1 wordcount the quick brown fox"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeJSONRequestMaxJobs(b *testing.B) {
	body := []byte("[" + strings.Repeat(`{"task":"checksum","input":"hello, relay"},`, MaxJobsPerRequest-1) + `{"task":"checksum","input":"x"}]`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeJSONRequest(body, fixedID); err != nil {
			b.Fatal(err)
		}
	}
}
