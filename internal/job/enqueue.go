package job

// The outcomes of one job of an enqueue request.
const (
	OutcomeQueued = "queued"
	OutcomeFailed = "failed"
)

// EnqueueResponse is enqueue's reply to a direct invoke and the body of its
// HTTP responses 202 and 503: the outcome of every job, in request order.
type EnqueueResponse struct {
	Queued int              `json:"queued"`
	Failed int              `json:"failed"`
	Jobs   []EnqueueOutcome `json:"jobs"`
}

// EnqueueOutcome is the outcome of one job: queued with the SQS message ID,
// or failed with the error of its last attempt.
type EnqueueOutcome struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	MessageID string `json:"messageId,omitempty"`
	Error     string `json:"error,omitempty"`
}
