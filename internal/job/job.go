// Package job defines relay's job and result messages, their wire formats and
// the rules a job must satisfy before it is queued or run.
//
// A job travels as the body of an SQS message, either as JSON
// (`{"id","task","input","delaySeconds"?,"correlationId"?,"enqueuedAt"}`) or
// as the text form `ID TASK INPUT`. A result travels as JSON inside an SNS
// notification.
package job

import "time"

// Job is one unit of work: run the task named Task on Input.
type Job struct {
	// ID identifies the job from enqueue to notification. Results carry it
	// so that subscribers can drop duplicates.
	ID string `json:"id"`
	// Task is the name of a task in the task registry.
	Task string `json:"task"`
	// Input is the task's argument.
	Input string `json:"input"`
	// DelaySeconds delays the job's first delivery (0-900 seconds).
	DelaySeconds int `json:"delaySeconds,omitempty"`
	// CorrelationID ties the job to the request or workflow that created it.
	CorrelationID string `json:"correlationId,omitempty"`
	// EnqueuedAt is when enqueue accepted the job. Jobs in the text form
	// carry none, and process then uses the message's SentTimestamp.
	EnqueuedAt time.Time `json:"enqueuedAt,omitzero"`
}

// Status is the outcome of a task that ran to completion.
type Status string

// The statuses a result can carry.
const (
	// StatusSucceeded means the task produced its output.
	StatusSucceeded Status = "succeeded"
	// StatusFailed means the task ran and reached a definite negative
	// outcome, such as a checksum mismatch. Retrying would not change it.
	StatusFailed Status = "failed"
)

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	return s == StatusSucceeded || s == StatusFailed
}

// Result is the outcome of one run of a job, published to the results topic.
type Result struct {
	JobID  string `json:"jobId"`
	Task   string `json:"task"`
	Status Status `json:"status"`
	// Output is the task's return value when Status is succeeded.
	Output string `json:"output,omitempty"`
	// Error explains a failed status.
	Error string `json:"error,omitempty"`
	// Attempt is the SQS ApproximateReceiveCount of the run that produced
	// the result (1 for the first delivery).
	Attempt int `json:"attempt"`
	// MessageID is the SQS message ID of the job.
	MessageID     string    `json:"messageId"`
	CorrelationID string    `json:"correlationId,omitempty"`
	EnqueuedAt    time.Time `json:"enqueuedAt"`
	FinishedAt    time.Time `json:"finishedAt"`
}
