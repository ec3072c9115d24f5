// Package snsmsg encodes job results as SNS messages with
// MessageStructure=json and decodes them on the subscriber side.
//
// The published Message is {"default":"<result JSON>"}. SNS delivers the
// string under "default" to every protocol without its own key, so a
// Lambda subscriber's Sns.Message is the result JSON itself.
package snsmsg

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/relay-pipeline/relay/internal/job"
)

// MaxPublishBatchBytes is the default SNS limit on a message and on the
// total of one PublishBatch (256 KiB). A topic's MaximumMessageSize can
// raise it, but relay does not assume that.
const MaxPublishBatchBytes = 256 * 1024

// The SNS message attributes of a result, for subscription filter policies.
const (
	AttrStatus  = "status"
	AttrTask    = "task"
	AttrJobID   = "job_id"
	AttrAttempt = "attempt"
)

// Entry returns the PublishBatch entry for r with the batch entry ID id, and
// the size SNS counts for it: the message plus each attribute's name, data
// type and value.
func Entry(id string, r job.Result) (types.PublishBatchRequestEntry, int, error) {
	result, err := json.Marshal(r)
	if err != nil {
		return types.PublishBatchRequestEntry{}, 0, fmt.Errorf("encode result of job %q: %w", r.JobID, err)
	}
	message, err := json.Marshal(map[string]string{"default": string(result)})
	if err != nil {
		return types.PublishBatchRequestEntry{}, 0, fmt.Errorf("encode message of job %q: %w", r.JobID, err)
	}

	attrs := map[string]types.MessageAttributeValue{
		AttrStatus:  {DataType: aws.String("String"), StringValue: aws.String(string(r.Status))},
		AttrTask:    {DataType: aws.String("String"), StringValue: aws.String(r.Task)},
		AttrJobID:   {DataType: aws.String("String"), StringValue: aws.String(r.JobID)},
		AttrAttempt: {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(r.Attempt))},
	}
	size := len(message)
	for name, v := range attrs {
		size += len(name) + len(*v.DataType) + len(*v.StringValue)
	}

	entry := types.PublishBatchRequestEntry{
		Id:                aws.String(id),
		Message:           aws.String(string(message)),
		MessageStructure:  aws.String("json"),
		MessageAttributes: attrs,
	}
	return entry, size, nil
}

// DecodeResult decodes a notification's Sns.Message into a result. It
// ignores fields it does not know, so that new result fields do not break
// subscribers, but it requires jobId, task and a valid status.
func DecodeResult(message string) (job.Result, error) {
	var r job.Result
	if err := json.Unmarshal([]byte(message), &r); err != nil {
		return job.Result{}, fmt.Errorf("decode result: %w", err)
	}
	switch {
	case r.JobID == "":
		return job.Result{}, errors.New("decode result: jobId is missing")
	case r.Task == "":
		return job.Result{}, fmt.Errorf("decode result of job %q: task is missing", r.JobID)
	case !r.Status.Valid():
		return job.Result{}, fmt.Errorf("decode result of job %q: status %q is not succeeded or failed", r.JobID, r.Status)
	}
	return r, nil
}
