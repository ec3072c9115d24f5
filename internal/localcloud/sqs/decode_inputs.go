package sqs

// The decodeJSON methods below read the hot-path requests with jsonDecoder. Keys they do not
// know are skipped, as encoding/json skips unknown fields.

// fastDecodable is a request that decodes itself with jsonDecoder.
type fastDecodable interface {
	decodeJSON(d *jsonDecoder) error
}

func decodeFast(body []byte, v fastDecodable) error {
	d := &jsonDecoder{data: body}
	if err := v.decodeJSON(d); err != nil {
		return err
	}
	return d.end()
}

// field decodes the value of key if it is a field that SendMessage and the entries of
// SendMessageBatch share, and reports whether it was.
func (in *sendMessageInput) field(d *jsonDecoder, key string) (bool, error) {
	switch key {
	case "MessageBody":
		return true, d.optionalString(&in.MessageBody)
	case "DelaySeconds":
		return true, d.optionalInt(&in.DelaySeconds)
	case "MessageAttributes":
		return true, d.wireAttributes(&in.MessageAttributes)
	case "MessageSystemAttributes":
		return true, d.wireAttributes(&in.MessageSystemAttributes)
	case "MessageDeduplicationId":
		return true, d.optionalString(&in.MessageDeduplicationId)
	case "MessageGroupId":
		return true, d.optionalString(&in.MessageGroupId)
	}
	return false, nil
}

func (in *sendMessageInput) decodeJSON(d *jsonDecoder) error {
	return d.object(func(key string) error {
		if key == "QueueUrl" {
			return d.stringField(&in.QueueUrl)
		}
		if ok, err := in.field(d, key); ok {
			return err
		}
		return d.skip()
	})
}

func (in *sendMessageBatchInput) decodeJSON(d *jsonDecoder) error {
	return d.object(func(key string) error {
		switch key {
		case "QueueUrl":
			return d.stringField(&in.QueueUrl)
		case "Entries":
			return decodeEntries(d, &in.Entries, func(e *sendMessageBatchEntry, key string) error {
				if key == "Id" {
					return d.stringField(&e.Id)
				}
				if ok, err := e.field(d, key); ok {
					return err
				}
				return d.skip()
			})
		}
		return d.skip()
	})
}

// decodeEntries decodes the Entries array of a batch request, calling field for each key of
// each entry. null sets *dst to nil.
func decodeEntries[E any](d *jsonDecoder, dst *[]E, field func(e *E, key string) error) error {
	if isNull, err := d.null(); isNull || err != nil {
		if isNull {
			*dst = nil
		}
		return err
	}
	entries := (*dst)[:0]
	if entries == nil {
		entries = []E{}
	}
	err := d.array(func() error {
		var e E
		if isNull, err := d.null(); isNull || err != nil {
			entries = append(entries, e)
			return err
		}
		err := d.object(func(key string) error { return field(&e, key) })
		entries = append(entries, e)
		return err
	})
	*dst = entries
	return err
}

func (in *receiveMessageInput) decodeJSON(d *jsonDecoder) error {
	return d.object(func(key string) error {
		switch key {
		case "QueueUrl":
			return d.stringField(&in.QueueUrl)
		case "AttributeNames":
			return d.stringList(&in.AttributeNames)
		case "MessageSystemAttributeNames":
			return d.stringList(&in.MessageSystemAttributeNames)
		case "MessageAttributeNames":
			return d.stringList(&in.MessageAttributeNames)
		case "MaxNumberOfMessages":
			return d.optionalInt(&in.MaxNumberOfMessages)
		case "VisibilityTimeout":
			return d.optionalInt(&in.VisibilityTimeout)
		case "WaitTimeSeconds":
			return d.optionalInt(&in.WaitTimeSeconds)
		case "ReceiveRequestAttemptId":
			return d.optionalString(&in.ReceiveRequestAttemptId)
		}
		return d.skip()
	})
}

func (in *deleteMessageInput) decodeJSON(d *jsonDecoder) error {
	return d.object(func(key string) error {
		switch key {
		case "QueueUrl":
			return d.stringField(&in.QueueUrl)
		case "ReceiptHandle":
			return d.stringField(&in.ReceiptHandle)
		}
		return d.skip()
	})
}

func (in *deleteMessageBatchInput) decodeJSON(d *jsonDecoder) error {
	return d.object(func(key string) error {
		switch key {
		case "QueueUrl":
			return d.stringField(&in.QueueUrl)
		case "Entries":
			return decodeEntries(d, &in.Entries, func(e *deleteMessageBatchEntry, key string) error {
				switch key {
				case "Id":
					return d.stringField(&e.Id)
				case "ReceiptHandle":
					return d.stringField(&e.ReceiptHandle)
				}
				return d.skip()
			})
		}
		return d.skip()
	})
}
