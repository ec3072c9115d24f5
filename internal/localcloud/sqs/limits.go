package sqs

import (
	"strings"
	"unicode/utf8"
)

// SQS limits, from the API reference of aws-sdk-go-v2 service/sqs v1.53.0 and the SQS
// developer guide's quotas page. Each check below returns the error SQS returns for it.
const (
	maxMessageSizeLimit     = 1 << 20 // 1 MiB: the largest MaximumMessageSize, and the largest batch in total
	minMessageSizeLimit     = 1024
	maxBatchEntries         = 10
	maxBatchEntryIDLength   = 80
	maxMessageAttributes    = 10
	maxAttributeNameLength  = 256
	maxDataTypeLength       = 256
	maxDelaySeconds         = 900
	maxVisibilityTimeout    = 43200 // 12 hours, also the most a message may stay in flight per receive
	maxWaitTimeSeconds      = 20
	maxMessagesPerReceive   = 10
	minRetentionSeconds     = 60
	maxRetentionSeconds     = 1209600 // 14 days
	maxQueueNameLength      = 80
	maxMaxReceiveCount      = 1000
	maxMovesPerSecond       = 500
	maxNumberPrecision      = 38
	maxListQueuesResults    = 1000
	maxListMoveTasksResults = 10
)

// validateBody checks that body has only the characters SQS allows: #x9, #xA, #xD,
// #x20-#xD7FF, #xE000-#xFFFD and #x10000-#x10FFFF.
func validateBody(body string) error {
	if body == "" {
		return errMissingParameter("MessageBody")
	}
	if r, ok := firstInvalidCharacter(body); ok {
		return newError("InvalidMessageContents", "Invalid binary character '#x%X' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", r)
	}
	return nil
}

// firstInvalidCharacter returns the first character of s that SQS does not allow in a
// message. Bytes that are not UTF-8 count as invalid and return utf8.RuneError.
func firstInvalidCharacter(s string) (rune, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return rune(c), true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return r, true
		}
		if r == 0xFFFE || r == 0xFFFF {
			return r, true
		}
		i += size
	}
	return 0, false
}

// validName reports whether s is 1 to maxLength characters from A-Z, a-z, 0-9, hyphen and
// underscore, the alphabet of queue names and batch entry ids.
func validName(s string, maxLength int) bool {
	if s == "" || len(s) > maxLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validateBatchEntryIDs checks the number of entries of a batch request and that their ids
// are well formed and distinct.
// batchEntry is an entry of a batch request, which the request names by its Id.
type batchEntry interface{ entryID() string }

// batchQueue returns the queue of a batch request after checking its entry ids: at least
// one entry, at most ten, each id valid and distinct. entryKind names the entry type in
// AWS's error messages, such as "SendMessageBatchRequestEntry".
func batchQueue[E batchEntry](s *Service, queueURL, entryKind string, entries []E) (*queue, error) {
	q, err := s.queueByURL(queueURL)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.entryID()
	}
	if err := validateBatchEntryIDs(entryKind, ids); err != nil {
		return nil, err
	}
	return q, nil
}

func validateBatchEntryIDs(entryKind string, ids []string) error {
	if len(ids) == 0 {
		return newError("EmptyBatchRequest", "There should be at least one %s in the request.", entryKind)
	}
	if len(ids) > maxBatchEntries {
		return newError("TooManyEntriesInBatchRequest", "Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, len(ids))
	}
	for i, id := range ids {
		if !validName(id, maxBatchEntryIDLength) {
			return newError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most %d letters long.", maxBatchEntryIDLength)
		}
		for _, earlier := range ids[:i] {
			if earlier == id {
				return newError("BatchEntryIdsNotDistinct", "Id %s repeated.", id)
			}
		}
	}
	return nil
}

// validateDelaySeconds checks a per-message DelaySeconds.
func validateDelaySeconds(delay int64) error {
	if delay < 0 || delay > maxDelaySeconds {
		return errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= %d.", delay, maxDelaySeconds)
	}
	return nil
}

// validateVisibilityTimeout checks a VisibilityTimeout given to ReceiveMessage or
// ChangeMessageVisibility.
func validateVisibilityTimeout(timeout int64) error {
	if timeout < 0 || timeout > maxVisibilityTimeout {
		return errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= %d, if provided.", timeout, maxVisibilityTimeout)
	}
	return nil
}

// validAttributeName reports whether name is a valid message attribute name. A name has up
// to 256 characters from A-Z, a-z, 0-9, underscore, hyphen and period. It does not start or
// end with a period, has no two periods in a row, and does not start with "AWS." or
// "Amazon." in any case.
func validAttributeName(name string) bool {
	if name == "" || len(name) > maxAttributeNameLength {
		return false
	}
	if name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return false
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// baseDataType returns String, Number or Binary for a data type with an optional custom
// label (Number.float), or "" for any other data type.
func baseDataType(dataType string) string {
	base, label, hasLabel := strings.Cut(dataType, ".")
	if hasLabel && label == "" {
		return ""
	}
	switch base {
	case "String", "Number", "Binary":
		return base
	}
	return ""
}

// validateNumber checks a Number attribute value: a decimal number with at most 38
// significant digits, between -10^128 and 10^126.
func validateNumber(name, value string) error {
	digits, exponent, negative, ok := parseDecimal(value)
	if !ok {
		return errInvalidParameterValue("Can't cast the value of message (user) attribute '%s' to a number.", name)
	}
	if len(digits) > maxNumberPrecision {
		return errInvalidParameterValue("Value %s for message (user) attribute '%s' has more than %d significant digits.", value, name, maxNumberPrecision)
	}
	if digits == "" {
		return nil // zero
	}
	// The value is 0.DIGITS × 10^exponent, so it is at least 10^(exponent-1).
	limit := 126
	if negative {
		limit = 128
	}
	if exponent > limit+1 || exponent == limit+1 && strings.TrimRight(digits, "0") != "1" {
		return errInvalidParameterValue("Value %s for message (user) attribute '%s' is out of range: numbers range from -10^128 to 10^126.", value, name)
	}
	return nil
}

// parseDecimal splits a decimal number such as -12.50e3 into its significant digits without
// leading or trailing zeros ("125"), the exponent for which the value is 0.DIGITS × 10^exp
// (5), and its sign. It accepts an optional sign, digits with an optional point, and an
// optional exponent.
func parseDecimal(s string) (digits string, exponent int, negative, ok bool) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		negative = s[0] == '-'
		s = s[1:]
	}
	mantissa, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, fracPart, _ := strings.Cut(mantissa, ".")
	if intPart == "" && fracPart == "" || !allDigits(intPart) || !allDigits(fracPart) {
		return "", 0, false, false
	}
	expValue := 0
	if hasExp {
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			if len(exp) == 1 || !allDigits(exp[1:]) {
				return "", 0, false, false
			}
		} else if exp == "" || !allDigits(exp) {
			return "", 0, false, false
		}
		sign := 1
		if exp[0] == '-' || exp[0] == '+' {
			if exp[0] == '-' {
				sign = -1
			}
			exp = exp[1:]
		}
		for _, c := range exp {
			expValue = expValue*10 + int(c-'0')
			if expValue > 100000 {
				return "", 0, false, false
			}
		}
		expValue *= sign
	}

	all := strings.TrimLeft(intPart+fracPart, "0")
	exponent = len(intPart) - (len(intPart+fracPart) - len(all)) + expValue
	digits = strings.TrimRight(all, "0")
	return digits, exponent, negative, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
