package main

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/chunk"
	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/snsmsg"
	"github.com/relay-pipeline/relay/internal/sqsbatch"
)

// The DLQ message attributes that process adds to a permanent failure.
const (
	AttrReason       = "reason"
	AttrError        = "error"
	AttrTask         = "task"
	AttrReceiveCount = "receive_count"
)

// Limits of the DLQ message attributes.
const (
	// maxMessageAttributes is the SQS limit of attributes per message.
	maxMessageAttributes = 10
	// maxErrorAttributeBytes bounds the "error" attribute.
	maxErrorAttributeBytes = 1024
)

// publishResults publishes the results of the records at the indexes given
// and returns the indexes whose result was not published.
func (h *Handler) publishResults(ctx context.Context, records []events.SQSMessage, outcomes []outcome, indexes []int) []int {
	var failed []int
	var entries []snstypes.PublishBatchRequestEntry
	var sizes []int
	var owners []int
	for _, i := range indexes {
		entry, size, err := snsmsg.Entry(strconv.Itoa(len(entries)), outcomes[i].result)
		if err != nil {
			h.Logger.ErrorContext(ctx, "encode result failed", "message_id", records[i].MessageId, "job_id", outcomes[i].job.ID, "err", err)
			failed = append(failed, i)
			continue
		}
		entries = append(entries, entry)
		sizes = append(sizes, size)
		owners = append(owners, i)
	}

	for _, r := range chunk.BySize(sizes, job.MaxBatchEntries, snsmsg.MaxPublishBatchBytes) {
		out, err := h.Topic.PublishBatch(ctx, &sns.PublishBatchInput{
			TopicArn:                   aws.String(h.TopicARN),
			PublishBatchRequestEntries: entries[r.Start:r.End],
		})
		if err != nil {
			h.Logger.ErrorContext(ctx, "PublishBatch failed", "topic_arn", h.TopicARN, "entries", r.End-r.Start, "err", err)
			failed = append(failed, owners[r.Start:r.End]...)
			continue
		}
		published := make(map[string]bool, len(out.Successful))
		for _, s := range out.Successful {
			published[aws.ToString(s.Id)] = true
		}
		for k := r.Start; k < r.End; k++ {
			id := aws.ToString(entries[k].Id)
			if published[id] {
				continue
			}
			i := owners[k]
			h.Logger.WarnContext(ctx, "publish result failed", "topic_arn", h.TopicARN, "message_id", records[i].MessageId,
				"job_id", outcomes[i].job.ID, "err", batchEntryError(out.Failed, id))
			failed = append(failed, i)
		}
	}
	return failed
}

func batchEntryError(failures []snstypes.BatchResultErrorEntry, id string) string {
	for _, f := range failures {
		if aws.ToString(f.Id) == id {
			return aws.ToString(f.Code) + ": " + aws.ToString(f.Message)
		}
	}
	return "entry missing from the PublishBatch response"
}

// sendToDLQ sends the records at the indexes given to the DLQ with the
// reason attributes, and returns the indexes that were not sent.
func (h *Handler) sendToDLQ(ctx context.Context, records []events.SQSMessage, outcomes []outcome, indexes []int) []int {
	var failed []int
	entries := make([]sqstypes.SendMessageBatchRequestEntry, len(indexes))
	sizes := make([]int, len(indexes))
	for k, i := range indexes {
		entries[k] = deadLetterEntry(strconv.Itoa(k), records[i], outcomes[i])
		sizes[k] = sqsEntrySize(entries[k])
		h.Logger.WarnContext(ctx, "job sent to the DLQ", "message_id", records[i].MessageId, "job_id", outcomes[i].job.ID,
			"reason", outcomes[i].reason, "err", outcomes[i].err)
	}

	for _, r := range chunk.BySize(sizes, job.MaxBatchEntries, job.MaxBatchBytes) {
		out, err := h.DeadLetters.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
			QueueUrl: aws.String(h.DLQURL),
			Entries:  entries[r.Start:r.End],
		})
		if err != nil {
			h.Logger.ErrorContext(ctx, "SendMessageBatch to the DLQ failed", "queue", h.DLQURL, "entries", r.End-r.Start, "err", err)
			failed = append(failed, indexes[r.Start:r.End]...)
			continue
		}
		sent := make(map[string]bool, len(out.Successful))
		for _, s := range out.Successful {
			sent[aws.ToString(s.Id)] = true
		}
		for k := r.Start; k < r.End; k++ {
			if !sent[aws.ToString(entries[k].Id)] {
				h.Logger.WarnContext(ctx, "DLQ entry failed", "queue", h.DLQURL, "message_id", records[indexes[k]].MessageId)
				failed = append(failed, indexes[k])
			}
		}
	}
	return failed
}

// deadLetterEntry copies the record's body and message attributes and adds
// reason, error, task and receive_count, which replace attributes of the
// same name. Original attributes are dropped beyond the SQS limit of 10.
func deadLetterEntry(id string, record events.SQSMessage, o outcome) sqstypes.SendMessageBatchRequestEntry {
	task := o.job.Task
	if task == "" {
		task = attributeString(record, AttrTask)
	}
	if task == "" {
		task = "-"
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		AttrReason:       stringAttribute("String", o.reason),
		AttrError:        stringAttribute("String", sanitizeAttribute(errorText(o.err), maxErrorAttributeBytes)),
		AttrTask:         stringAttribute("String", sanitizeAttribute(task, job.MaxTaskLength)),
		AttrReceiveCount: stringAttribute("Number", strconv.Itoa(sqsbatch.ReceiveCount(record))),
	}
	for name, v := range record.MessageAttributes {
		if len(attrs) == maxMessageAttributes {
			break
		}
		if _, reserved := attrs[name]; reserved {
			continue
		}
		switch {
		case v.StringValue != nil && *v.StringValue != "":
			attrs[name] = stringAttribute(v.DataType, *v.StringValue)
		case len(v.BinaryValue) > 0:
			attrs[name] = sqstypes.MessageAttributeValue{DataType: aws.String(v.DataType), BinaryValue: v.BinaryValue}
		}
	}
	return sqstypes.SendMessageBatchRequestEntry{
		Id:                aws.String(id),
		MessageBody:       aws.String(record.Body),
		MessageAttributes: attrs,
	}
}

func attributeString(record events.SQSMessage, name string) string {
	if v, ok := record.MessageAttributes[name]; ok && v.StringValue != nil {
		return *v.StringValue
	}
	return ""
}

func stringAttribute(dataType, value string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String(dataType), StringValue: aws.String(value)}
}

func errorText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// sanitizeAttribute replaces characters that SQS rejects with U+FFFD and
// cuts s to at most limit bytes on a character boundary.
func sanitizeAttribute(s string, limit int) string {
	var b strings.Builder
	for _, r := range s {
		if !job.SQSAllowed(r) {
			r = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			break
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

func sqsEntrySize(e sqstypes.SendMessageBatchRequestEntry) int {
	size := len(aws.ToString(e.MessageBody))
	for name, v := range e.MessageAttributes {
		size += len(name) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
	}
	return size
}

// setBackoff changes the visibility timeout of the records at the indexes
// given to their retry backoff. A failure is logged and not returned: the
// record is a batch item failure either way and comes back after the
// queue's visibility timeout instead.
func (h *Handler) setBackoff(ctx context.Context, records []events.SQSMessage, indexes []int) {
	var entries []sqstypes.ChangeMessageVisibilityBatchRequestEntry
	var owners []int
	for _, i := range indexes {
		if records[i].ReceiptHandle == "" {
			continue
		}
		backoff := sqsbatch.Backoff(h.RetryBackoff, sqsbatch.ReceiveCount(records[i]), h.MaxRetryBackoff)
		entries = append(entries, sqstypes.ChangeMessageVisibilityBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(len(entries))),
			ReceiptHandle:     aws.String(records[i].ReceiptHandle),
			VisibilityTimeout: int32(backoff.Seconds()),
		})
		owners = append(owners, i)
	}

	for start := 0; start < len(entries); start += job.MaxBatchEntries {
		end := min(start+job.MaxBatchEntries, len(entries))
		out, err := h.Visibility.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(h.QueueURL),
			Entries:  entries[start:end],
		})
		if err != nil {
			h.Logger.WarnContext(ctx, "ChangeMessageVisibilityBatch failed", "queue", h.QueueURL, "entries", end-start, "err", err)
			continue
		}
		for _, f := range out.Failed {
			messageID := ""
			if k, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && k >= 0 && k < len(owners) {
				messageID = records[owners[k]].MessageId
			}
			h.Logger.WarnContext(ctx, "change visibility failed", "queue", h.QueueURL, "message_id", messageID,
				"err", aws.ToString(f.Code)+": "+aws.ToString(f.Message))
		}
	}
}
