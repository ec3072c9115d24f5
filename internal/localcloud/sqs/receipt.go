package sqs

import (
	"encoding/base64"
	"encoding/binary"
)

// A receipt handle names one receive of one message: the queue's handle key, the message's
// sequence number in the queue and the nonce of that receive, 24 bytes in base64. A receive
// gives the message a new nonce, so older handles stop matching.
type receiptHandle struct {
	queueKey uint64
	seq      uint64
	nonce    uint64
}

const receiptHandleBytes = 24

func appendReceiptHandle(b []byte, h receiptHandle) []byte {
	var raw [receiptHandleBytes]byte
	binary.BigEndian.PutUint64(raw[0:], h.queueKey)
	binary.BigEndian.PutUint64(raw[8:], h.seq)
	binary.BigEndian.PutUint64(raw[16:], h.nonce)
	return base64.StdEncoding.AppendEncode(b, raw[:])
}

// parseReceiptHandle decodes a receipt handle of q, or returns ReceiptHandleIsInvalid for a
// string that is not one: malformed, or issued by another queue.
func parseReceiptHandle(q *queue, s string) (receiptHandle, error) {
	var raw [receiptHandleBytes]byte
	if len(s) != base64.StdEncoding.EncodedLen(receiptHandleBytes) {
		return receiptHandle{}, errInvalidReceiptHandle(s)
	}
	n, err := base64.StdEncoding.Decode(raw[:], []byte(s))
	if err != nil || n != receiptHandleBytes {
		return receiptHandle{}, errInvalidReceiptHandle(s)
	}
	h := receiptHandle{
		queueKey: binary.BigEndian.Uint64(raw[0:]),
		seq:      binary.BigEndian.Uint64(raw[8:]),
		nonce:    binary.BigEndian.Uint64(raw[16:]),
	}
	if h.queueKey != q.handleKey || h.nonce == 0 {
		return receiptHandle{}, errInvalidReceiptHandle(s)
	}
	return h, nil
}

func errInvalidReceiptHandle(s string) error {
	if len(s) > 128 {
		s = s[:128] + "..."
	}
	return newError("ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle.", s)
}
