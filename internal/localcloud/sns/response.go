package sns

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

const xmlNamespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// apiError is an error that reaches the client as an AWS ErrorResponse with this code,
// message and HTTP status.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// invalidParameter returns AWS's InvalidParameter error. The message follows AWS's form,
// "Invalid parameter: <what> [Reason: <why>]".
func invalidParameter(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidParameter", message: "Invalid parameter: " + fmt.Sprintf(format, args...)}
}

// invalidParameterValue returns AWS's ParameterValueInvalid error, which SNS uses for bad
// message attributes.
func invalidParameterValue(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ParameterValueInvalid", message: fmt.Sprintf(format, args...)}
}

func notFound(message string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "NotFound", message: message}
}

func errTopicNotFound() *apiError { return notFound("Topic does not exist") }

func errSubscriptionNotFound() *apiError { return notFound("Subscription does not exist") }

// WriteError writes an AWS query-protocol ErrorResponse with the given HTTP status, error
// code and message. The SDKs map the code to their typed errors, such as NotFound to
// NotFoundException.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	writeError(w, status, code, message, newRequestID())
}

func writeError(w http.ResponseWriter, status int, code, message, requestID string) {
	faultType := "Sender"
	if status >= 500 {
		faultType = "Receiver"
	}
	var b bytes.Buffer
	b.WriteString(`<ErrorResponse xmlns="` + xmlNamespace + `"><Error>`)
	element(&b, "Type", faultType)
	element(&b, "Code", code)
	element(&b, "Message", message)
	b.WriteString(`</Error>`)
	element(&b, "RequestId", requestID)
	b.WriteString(`</ErrorResponse>`)
	writeXML(w, status, b.Bytes())
}

// response builds the XML body of a successful response:
// <ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>...</ResponseMetadata>.
type response struct {
	action string
	body   bytes.Buffer
}

func newResponse(action string) *response {
	r := &response{action: action}
	r.body.WriteString(`<` + action + `Response xmlns="` + xmlNamespace + `"><` + action + `Result>`)
	return r
}

func (r *response) element(name, value string) { element(&r.body, name, value) }

func (r *response) open(name string) { r.body.WriteString("<" + name + ">") }

func (r *response) close(name string) { r.body.WriteString("</" + name + ">") }

// attributes writes a string map as <name><entry><key/><value/></entry>...</name>, in the
// order of keys.
func (r *response) attributes(name string, keys []string, values map[string]string) {
	r.open(name)
	for _, key := range keys {
		r.open("entry")
		r.element("key", key)
		r.element("value", values[key])
		r.close("entry")
	}
	r.close(name)
}

func (r *response) write(w http.ResponseWriter, requestID string) {
	r.body.WriteString(`</` + r.action + `Result><ResponseMetadata>`)
	element(&r.body, "RequestId", requestID)
	r.body.WriteString(`</ResponseMetadata></` + r.action + `Response>`)
	writeXML(w, http.StatusOK, r.body.Bytes())
}

func element(b *bytes.Buffer, name, value string) {
	b.WriteString("<" + name + ">")
	// EscapeText fails only when the writer fails, and a bytes.Buffer never does.
	_ = xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">")
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
