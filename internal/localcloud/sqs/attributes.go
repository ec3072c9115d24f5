package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"sort"
)

// wireAttribute is a message attribute as the JSON protocol carries it. BinaryValue is
// base64 in JSON, which encoding/json decodes into bytes.
type wireAttribute struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// messageAttribute is a validated message attribute as a queue stores it.
type messageAttribute struct {
	name        string
	dataType    string
	stringValue string
	binaryValue []byte
	binary      bool
}

// value returns the bytes that the attribute's MD5 and size cover.
func (a *messageAttribute) value() []byte {
	if a.binary {
		return a.binaryValue
	}
	return []byte(a.stringValue)
}

// parseMessageAttributes validates the message attributes of a send and returns them sorted
// by name, with the bytes they add to the message size: name, data type and value of each.
func parseMessageAttributes(wire map[string]wireAttribute) ([]messageAttribute, int, error) {
	if len(wire) == 0 {
		return nil, 0, nil
	}
	if len(wire) > maxMessageAttributes {
		return nil, 0, errInvalidParameterValue("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(wire), maxMessageAttributes)
	}
	attrs := make([]messageAttribute, 0, len(wire))
	size := 0
	for name, w := range wire {
		a, err := parseMessageAttribute(name, w)
		if err != nil {
			return nil, 0, err
		}
		size += len(a.name) + len(a.dataType)
		if a.binary {
			size += len(a.binaryValue)
		} else {
			size += len(a.stringValue)
		}
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].name < attrs[j].name })
	return attrs, size, nil
}

func parseMessageAttribute(name string, w wireAttribute) (messageAttribute, error) {
	if !validAttributeName(name) {
		return messageAttribute{}, errInvalidParameterValue("Message (user) attribute name '%s' is invalid. Names can contain A-Z, a-z, 0-9, underscore (_), hyphen (-) and period (.), can't start or end with a period or have two periods in a row, can't start with AWS. or Amazon., and are at most %d characters long.", name, maxAttributeNameLength)
	}
	if w.DataType == "" {
		return messageAttribute{}, errInvalidParameterValue("The message (user) attribute '%s' must contain a non-empty attribute type.", name)
	}
	base := baseDataType(w.DataType)
	if base == "" || len(w.DataType) > maxDataTypeLength {
		return messageAttribute{}, errInvalidParameterValue("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	if len(w.StringListValues) > 0 || len(w.BinaryListValues) > 0 {
		return messageAttribute{}, errInvalidParameterValue("Message (user) attribute '%s': StringListValues and BinaryListValues are reserved and not supported; use StringValue or BinaryValue.", name)
	}

	a := messageAttribute{name: name, dataType: w.DataType}
	if base == "Binary" {
		if len(w.BinaryValue) == 0 || w.StringValue != nil {
			return messageAttribute{}, errInvalidParameterValue("The message (user) attribute '%s' must contain a non-empty value of type 'Binary'.", name)
		}
		a.binary = true
		a.binaryValue = w.BinaryValue
		return a, nil
	}

	if w.StringValue == nil || *w.StringValue == "" || w.BinaryValue != nil {
		return messageAttribute{}, errInvalidParameterValue("The message (user) attribute '%s' must contain a non-empty value of type '%s'.", name, base)
	}
	a.stringValue = *w.StringValue
	if r, bad := firstInvalidCharacter(a.stringValue); bad {
		return messageAttribute{}, newError("InvalidMessageContents", "Invalid binary character '#x%X' was found in the value of message (user) attribute '%s'.", r, name)
	}
	if base == "Number" {
		if err := validateNumber(name, a.stringValue); err != nil {
			return messageAttribute{}, err
		}
	}
	return a, nil
}

// attributesMD5 returns MD5OfMessageAttributes of attrs, which must be sorted by name. SQS
// hashes, for each attribute, its name, data type, a transport type byte (1 for String and
// Number, 2 for Binary) and value. Name, data type and value each follow their length as a
// 4-byte big-endian integer.
func attributesMD5(attrs []messageAttribute) [16]byte {
	h := md5.New()
	var length [4]byte
	writeField := func(b []byte) {
		binary.BigEndian.PutUint32(length[:], uint32(len(b)))
		h.Write(length[:])
		h.Write(b)
	}
	for i := range attrs {
		a := &attrs[i]
		writeField([]byte(a.name))
		writeField([]byte(a.dataType))
		if a.binary {
			h.Write([]byte{2})
		} else {
			h.Write([]byte{1})
		}
		writeField(a.value())
	}
	var sum [16]byte
	h.Sum(sum[:0])
	return sum
}

// parseSystemAttributes validates the MessageSystemAttributes of a send. AWSTraceHeader, a
// String, is the only one SQS accepts.
func parseSystemAttributes(wire map[string]wireAttribute) (traceHeader string, err error) {
	for name, w := range wire {
		if name != "AWSTraceHeader" {
			return "", errInvalidParameterValue("Message system attribute name '%s' is invalid; AWSTraceHeader is the only message system attribute a message may carry.", name)
		}
		if w.DataType != "String" || w.StringValue == nil || *w.StringValue == "" {
			return "", errInvalidParameterValue("Message system attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'.")
		}
		traceHeader = *w.StringValue
	}
	return traceHeader, nil
}

// traceHeaderMD5 returns MD5OfMessageSystemAttributes for a message with an AWSTraceHeader.
func traceHeaderMD5(traceHeader string) [16]byte {
	return attributesMD5([]messageAttribute{{name: "AWSTraceHeader", dataType: "String", stringValue: traceHeader}})
}
