package sqs

// deleteMessageInput is the request of DeleteMessage.
type deleteMessageInput struct {
	QueueUrl      string `json:"QueueUrl"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

// deleteMessageBatchInput is the request of DeleteMessageBatch.
type deleteMessageBatchInput struct {
	QueueUrl string                    `json:"QueueUrl"`
	Entries  []deleteMessageBatchEntry `json:"Entries"`
}

// deleteMessageBatchEntry is one entry of DeleteMessageBatch.
type deleteMessageBatchEntry struct {
	Id            string `json:"Id"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

func (e deleteMessageBatchEntry) entryID() string { return e.Id }

func (s *Service) deleteMessage(c *call) (any, error) {
	var in deleteMessageInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, errMissingParameter("ReceiptHandle")
	}
	h, err := parseReceiptHandle(q, in.ReceiptHandle)
	if err != nil {
		return nil, err
	}

	q.mu.Lock()
	q.deleteByHandle(h)
	q.mu.Unlock()
	return nil, nil
}

// deleteByHandle deletes the message that h names if h is its latest receipt handle. As in
// SQS, an older handle of a message received again, or a handle of a message already gone,
// deletes nothing and is no error. The caller holds mu.
func (q *queue) deleteByHandle(h receiptHandle) {
	m := q.messages[h.seq]
	if m == nil || m.receipt != h.nonce {
		return
	}
	q.remove(m)
}

// batchIDResult is the response of DeleteMessageBatch and ChangeMessageVisibilityBatch,
// whose Successful entries carry only their ids.
type batchIDResult struct {
	successful []string
	failed     []batchFailure
}

func (r *batchIDResult) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendKey(b, "Successful")
	b = append(b, '[')
	for i, id := range r.successful {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKey(b, "Id")
		b = appendString(b, id)
		b = append(b, '}')
	}
	b = append(b, ']', ',')
	b = appendFailures(b, r.failed)
	return append(b, '}')
}

func (s *Service) deleteMessageBatch(c *call) (any, error) {
	var in deleteMessageBatchInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := batchQueue(s, in.QueueUrl, "DeleteMessageBatchRequestEntry", in.Entries)
	if err != nil {
		return nil, err
	}

	out := &batchIDResult{successful: make([]string, 0, len(in.Entries))}
	handles := make([]receiptHandle, len(in.Entries))
	valid := make([]bool, len(in.Entries))
	for i, e := range in.Entries {
		h, err := parseReceiptHandle(q, e.ReceiptHandle)
		if err != nil {
			out.failed = append(out.failed, newBatchFailure(e.Id, err))
			continue
		}
		handles[i], valid[i] = h, true
	}

	q.mu.Lock()
	for i, e := range in.Entries {
		if valid[i] {
			q.deleteByHandle(handles[i])
			out.successful = append(out.successful, e.Id)
		}
	}
	q.mu.Unlock()
	return out, nil
}
