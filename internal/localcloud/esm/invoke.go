package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// invoke runs one batch through the function and deletes what it processed. On a function
// error, an invoke error or an invalid response, it deletes nothing, so every message of the
// batch is received again after its visibility timeout, as on AWS.
func (m *Mapping) invoke(ctx context.Context, batch []types.Message) {
	m.batches.Add(1)
	m.records.Add(int64(len(batch)))

	payload, err := json.Marshal(events.SQSEvent{Records: m.eventRecords(batch)})
	if err != nil {
		m.failedBatches.Add(1)
		m.logger.Error("encode SQS event failed; the batch will be received again", "err", err)
		return
	}

	response, functionError, err := m.cfg.Invoke(ctx, payload)
	if err != nil || functionError != "" {
		m.failedBatches.Add(1)
		m.logger.Warn("function failed the whole batch; nothing is deleted",
			"records", len(batch), "function_error", functionError, "err", err)
		return
	}

	failed := map[string]bool{}
	if m.cfg.ReportBatchItemFailures {
		failed, err = batchItemFailures(response, batch)
		if err != nil {
			m.failedBatches.Add(1)
			m.logger.Warn("invalid batch response fails the whole batch; nothing is deleted",
				"records", len(batch), "err", err)
			return
		}
		m.itemFailures.Add(int64(len(failed)))
	}

	var done []types.Message
	for _, msg := range batch {
		if !failed[aws.ToString(msg.MessageId)] {
			done = append(done, msg)
		}
	}
	m.delete(ctx, done)
}

// batchItemFailures reads a function's SQSEventResponse with Lambda's rules. An empty or
// null response, or an empty or null list, means every record succeeded. A response that is
// not valid JSON, or an itemIdentifier that is empty or not a message id of the batch, fails
// the whole batch.
func batchItemFailures(response []byte, batch []types.Message) (map[string]bool, error) {
	failed := map[string]bool{}
	if len(response) == 0 || string(response) == "null" {
		return failed, nil
	}
	var decoded struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(response, &decoded); err != nil {
		return nil, fmt.Errorf("response is not a valid batch response: %w", err)
	}

	ids := make(map[string]bool, len(batch))
	for _, msg := range batch {
		ids[aws.ToString(msg.MessageId)] = true
	}
	for i, item := range decoded.BatchItemFailures {
		if item.ItemIdentifier == nil || *item.ItemIdentifier == "" {
			return nil, fmt.Errorf("batchItemFailures[%d] has an empty itemIdentifier", i)
		}
		if !ids[*item.ItemIdentifier] {
			return nil, fmt.Errorf("batchItemFailures[%d]: itemIdentifier %q is not a message id of this batch", i, *item.ItemIdentifier)
		}
		failed[*item.ItemIdentifier] = true
	}
	return failed, nil
}

// delete removes processed messages with DeleteMessageBatch, ten at a time. A message that
// could not be deleted is received again later, which the at-least-once contract allows.
func (m *Mapping) delete(ctx context.Context, done []types.Message) {
	for start := 0; start < len(done); start += 10 {
		chunk := done[start:min(start+10, len(done))]
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, msg := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: msg.ReceiptHandle}
		}
		out, err := m.cfg.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
			QueueUrl: aws.String(m.cfg.QueueURL),
			Entries:  entries,
		})
		if err != nil {
			m.logger.Warn("DeleteMessageBatch failed; the messages will be received again", "messages", len(chunk), "err", err)
			continue
		}
		m.deleted.Add(int64(len(out.Successful)))
		if len(out.Failed) > 0 {
			m.logger.Warn("DeleteMessageBatch entries failed; those messages will be received again",
				"failed", len(out.Failed), "code", aws.ToString(out.Failed[0].Code))
		}
	}
}

// eventRecords builds the event's records with every field Lambda sends.
func (m *Mapping) eventRecords(batch []types.Message) []events.SQSMessage {
	records := make([]events.SQSMessage, len(batch))
	for i, msg := range batch {
		attributes := make(map[string]string, len(msg.Attributes))
		for name, value := range msg.Attributes {
			attributes[name] = value
		}
		messageAttributes := make(map[string]events.SQSMessageAttribute, len(msg.MessageAttributes))
		for name, value := range msg.MessageAttributes {
			messageAttributes[name] = events.SQSMessageAttribute{
				StringValue:      value.StringValue,
				BinaryValue:      value.BinaryValue,
				StringListValues: orEmpty(value.StringListValues),
				BinaryListValues: orEmptyBytes(value.BinaryListValues),
				DataType:         aws.ToString(value.DataType),
			}
		}
		records[i] = events.SQSMessage{
			MessageId:              aws.ToString(msg.MessageId),
			ReceiptHandle:          aws.ToString(msg.ReceiptHandle),
			Body:                   aws.ToString(msg.Body),
			Md5OfBody:              aws.ToString(msg.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(msg.MD5OfMessageAttributes),
			Attributes:             attributes,
			MessageAttributes:      messageAttributes,
			EventSourceARN:         m.cfg.QueueARN,
			EventSource:            "aws:sqs",
			AWSRegion:              m.cfg.Region,
		}
	}
	return records
}

func orEmpty(values []string) []string {
	if values == nil {
		return []string{}
	}
	return values
}

func orEmptyBytes(values [][]byte) [][]byte {
	if values == nil {
		return [][]byte{}
	}
	return values
}
