package localpipeline

import (
	"slices"
	"sort"
)

// ReasonMaxReceiveCount is the reason the Tracker gives a DLQ message without a reason
// attribute: the queue's redrive policy moved it after maxReceiveCount receives. Every other
// reason was set by process for a permanent failure.
const ReasonMaxReceiveCount = "max-receive-count"

// Causes of a duplicate delivery, as Tracker.Duplicates reports them.
const (
	// DuplicateRedelivered is a result of a job whose SQS message ran again: its invoke
	// failed as a whole (crash, timeout), its delete failed, or its visibility timeout
	// passed. The earlier result has the same SQS message id and a lower attempt.
	DuplicateRedelivered = "redelivered"
	// DuplicateNotificationRetried is a result that notified logged again for the same SQS
	// message and attempt: Lambda retried the asynchronous invoke after a failed attempt.
	DuplicateNotificationRetried = "notification-retried"
	// DuplicateEnqueuedTwice is a result from a second SQS message with the same job id: a
	// producer sent the job again.
	DuplicateEnqueuedTwice = "enqueued-twice"
	// DuplicateDeadLetteredAgain is a DLQ message beyond the first for a job without a
	// result: a permanent failure was sent to the DLQ on more than one receive.
	DuplicateDeadLetteredAgain = "dead-lettered-again"
	// DuplicateResultAndDeadLetter is a DLQ message for a job that also has a result.
	DuplicateResultAndDeadLetter = "result-and-dlq"
)

// Duplicates returns the deliveries beyond the first of every job, counted by cause (the
// Duplicate* constants). A job with three results from one SQS message on attempts 1, 1 and
// 2 counts once as DuplicateNotificationRetried and once as DuplicateRedelivered. The map
// has no entry for a cause with no duplicates.
func (t *Tracker) Duplicates() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()

	counts := map[string]int{}
	for _, results := range t.results {
		for i, r := range results {
			if cause := duplicateCause(results[:i], r); cause != "" {
				counts[cause]++
			}
		}
	}
	for id, letters := range t.dlqByJob {
		switch {
		case len(t.results[id]) > 0:
			counts[DuplicateResultAndDeadLetter] += letters
		case letters > 1:
			counts[DuplicateDeadLetteredAgain] += letters - 1
		}
	}
	return counts
}

// duplicateCause returns why r repeats one of the earlier results of its job, or "" when
// there is none.
func duplicateCause(earlier []Finished, r Finished) string {
	if len(earlier) == 0 {
		return ""
	}
	sameMessage := false
	for _, e := range earlier {
		if e.MessageID != r.MessageID {
			continue
		}
		if e.Attempt == r.Attempt {
			return DuplicateNotificationRetried
		}
		sameMessage = true
	}
	if sameMessage {
		return DuplicateRedelivered
	}
	return DuplicateEnqueuedTwice
}

// RetriedPermanentFailures returns the DLQ messages of permanent failures (any reason but
// ReasonMaxReceiveCount) whose receive count was above 1: process sent them to the DLQ on a
// later receive than the first. Without faults there are none, because process sends a
// permanent failure to the DLQ on its first receive.
func (t *Tracker) RetriedPermanentFailures() []DeadLetter {
	t.mu.Lock()
	defer t.mu.Unlock()
	var retried []DeadLetter
	for _, letter := range t.dlq {
		if letter.Reason != ReasonMaxReceiveCount && letter.ReceiveCount > 1 {
			retried = append(retried, letter)
		}
	}
	sort.Slice(retried, func(i, j int) bool { return retried[i].JobID < retried[j].JobID })
	return retried
}

// DeadLettersOf returns the DLQ messages recorded for the job id.
func (t *Tracker) DeadLettersOf(jobID string) []DeadLetter {
	t.mu.Lock()
	defer t.mu.Unlock()
	var letters []DeadLetter
	for _, letter := range t.dlq {
		if letter.JobID == jobID {
			letters = append(letters, letter)
		}
	}
	slices.SortFunc(letters, func(a, b DeadLetter) int { return a.ReceiveCount - b.ReceiveCount })
	return letters
}
