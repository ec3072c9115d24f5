package sqs

import (
	"fmt"
	"net/http"
)

// apiError is an error that SQS returns to the client: an error code, the HTTP status and a
// message. The code is the shape name of the AWS JSON protocol (QueueDoesNotExist). WriteError
// looks up the query-protocol code that SQS sends in the x-amzn-query-error header.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// errorShape is how one SQS error appears on the wire.
type errorShape struct {
	status    int
	queryCode string
}

// errorShapes lists the errors of the SQS model (aws-sdk-go-v2 service/sqs v1.53.0,
// schemas/schemas.go) with their HTTP statuses and query-protocol codes. Errors that the
// model does not list, such as InvalidParameterValue, use their own name as the query code.
var errorShapes = map[string]errorShape{
	"BatchEntryIdsNotDistinct":     {400, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
	"BatchRequestTooLong":          {400, "AWS.SimpleQueueService.BatchRequestTooLong"},
	"EmptyBatchRequest":            {400, "AWS.SimpleQueueService.EmptyBatchRequest"},
	"InvalidAddress":               {404, "InvalidAddress"},
	"InvalidAttributeName":         {400, "InvalidAttributeName"},
	"InvalidAttributeValue":        {400, "InvalidAttributeValue"},
	"InvalidBatchEntryId":          {400, "AWS.SimpleQueueService.InvalidBatchEntryId"},
	"InvalidMessageContents":       {400, "InvalidMessageContents"},
	"InvalidSecurity":              {403, "InvalidSecurity"},
	"MessageNotInflight":           {400, "AWS.SimpleQueueService.MessageNotInflight"},
	"OverLimit":                    {403, "OverLimit"},
	"PurgeQueueInProgress":         {403, "AWS.SimpleQueueService.PurgeQueueInProgress"},
	"QueueDeletedRecently":         {400, "AWS.SimpleQueueService.QueueDeletedRecently"},
	"QueueDoesNotExist":            {400, "AWS.SimpleQueueService.NonExistentQueue"},
	"QueueNameExists":              {400, "QueueAlreadyExists"},
	"ReceiptHandleIsInvalid":       {404, "ReceiptHandleIsInvalid"},
	"RequestThrottled":             {403, "RequestThrottled"},
	"ResourceNotFoundException":    {404, "ResourceNotFoundException"},
	"TooManyEntriesInBatchRequest": {400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
	"UnsupportedOperation":         {400, "AWS.SimpleQueueService.UnsupportedOperation"},
}

// shapeForQueryCode maps a query-protocol code back to its shape name, so WriteError accepts
// either form.
var shapeForQueryCode = func() map[string]string {
	m := make(map[string]string, len(errorShapes))
	for name, shape := range errorShapes {
		m[shape.queryCode] = name
	}
	return m
}()

func newError(code, format string, args ...any) *apiError {
	status := http.StatusBadRequest
	if shape, ok := errorShapes[code]; ok {
		status = shape.status
	}
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func errInvalidParameterValue(format string, args ...any) *apiError {
	return newError("InvalidParameterValue", format, args...)
}

func errMissingParameter(name string) *apiError {
	return newError("MissingParameter", "The request must contain the parameter %s.", name)
}

func errQueueDoesNotExist() *apiError {
	return newError("QueueDoesNotExist", "The specified queue does not exist.")
}

func errInternal(format string, args ...any) *apiError {
	return &apiError{status: http.StatusInternalServerError, code: "InternalError", message: fmt.Sprintf(format, args...)}
}

// outOfRange reports an integer parameter outside its range, as SQS words it.
func outOfRange(name string, value, low, high int64) *apiError {
	return errInvalidParameterValue("Value %d for parameter %s is invalid. Reason: Must be between %d and %d, if provided.", value, name, low, high)
}
