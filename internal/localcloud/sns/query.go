package sns

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// maxRequestBytes bounds a request body. A PublishBatch at the largest MaximumMessageSize
// (1 MiB of message text in total) can triple in size when form-encoded, so 4 MiB leaves
// room for attributes and field names while keeping a hostile body from allocating more.
const maxRequestBytes = 4 << 20

// maxMemberIndex bounds the N in "Name.member.N" and "Name.entry.N". No SNS list or map
// takes more than a few hundred members, and the bound keeps a crafted index from
// producing a huge allocation.
const maxMemberIndex = 10000

// params is a decoded query-protocol request: the form fields of a POST body, or the URL
// query of a GET such as a SubscribeURL.
type params url.Values

// decodeQuery parses a form-encoded request body. It rejects bodies that are not valid
// application/x-www-form-urlencoded text.
func decodeQuery(body []byte) (params, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("request body is not valid form encoding: %w", err)
	}
	return params(values), nil
}

// get returns the first value of name, or "" when it is absent.
func (p params) get(name string) string {
	values := p[name]
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// has reports whether name is present, even with an empty value.
func (p params) has(name string) bool {
	_, ok := p[name]
	return ok
}

// members splits the fields under prefix into numbered members, ordered by number:
// "Entries.member.2.Id" is field "Id" of member 2 of prefix "Entries.member". Each member's
// params have the prefix and number removed.
func (p params) members(prefix string) ([]params, error) {
	byIndex := map[int]params{}
	lead := prefix + "."
	for key, values := range p {
		rest, ok := strings.CutPrefix(key, lead)
		if !ok {
			continue
		}
		number, field, _ := strings.Cut(rest, ".")
		index, err := strconv.Atoi(number)
		if err != nil || index < 1 || index > maxMemberIndex {
			return nil, fmt.Errorf("%s: member number %q is not an integer in 1-%d", key, number, maxMemberIndex)
		}
		member := byIndex[index]
		if member == nil {
			member = params{}
			byIndex[index] = member
		}
		member[field] = values
	}

	indexes := make([]int, 0, len(byIndex))
	for index := range byIndex {
		indexes = append(indexes, index)
	}
	sort.Ints(indexes)
	out := make([]params, 0, len(indexes))
	for _, index := range indexes {
		out = append(out, byIndex[index])
	}
	return out, nil
}

// attributeMap decodes a string map such as "Attributes.entry.N.key" and
// "Attributes.entry.N.value". It returns nil when the map is absent.
func (p params) attributeMap(name string) (map[string]string, error) {
	entries, err := p.members(name + ".entry")
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(entries))
	for _, entry := range entries {
		if !entry.has("key") {
			return nil, fmt.Errorf("%s: an entry has no key", name)
		}
		out[entry.get("key")] = entry.get("value")
	}
	return out, nil
}

// messageAttributes decodes "MessageAttributes.entry.N.Name" and its
// "Value.DataType", "Value.StringValue" and base64 "Value.BinaryValue". Values are
// checked later by validateMessageAttributes.
func (p params) messageAttributes(name string) (map[string]MessageAttribute, error) {
	entries, err := p.members(name + ".entry")
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	out := make(map[string]MessageAttribute, len(entries))
	for _, entry := range entries {
		attr := MessageAttribute{
			DataType:    entry.get("Value.DataType"),
			StringValue: entry.get("Value.StringValue"),
		}
		if entry.has("Value.BinaryValue") {
			attr.BinaryValue, err = base64.StdEncoding.DecodeString(entry.get("Value.BinaryValue"))
			if err != nil {
				return nil, fmt.Errorf("message attribute %q: BinaryValue is not valid base64: %w", entry.get("Name"), err)
			}
		}
		out[entry.get("Name")] = attr
	}
	return out, nil
}

// IsRequest reports whether r is an SNS request: a form-encoded POST whose Action is an SNS
// action, a GET of a SubscribeURL or UnsubscribeURL, or a GET of the signing certificate.
// The router checks for SQS first, by its X-Amz-Target header.
func IsRequest(r *http.Request) bool {
	if r.Method == http.MethodGet && r.URL.Path == signingCertPath {
		return true
	}
	_, ok := handlers[Action(r)]
	return ok
}

// Action returns the request's Action parameter, or "" when it has none. For a POST it reads
// the body up to the request size bound and puts it back, so ServeHTTP can read it again.
func Action(r *http.Request) string {
	if action := r.URL.Query().Get("Action"); action != "" {
		return action
	}
	if r.Method != http.MethodPost || r.Body == nil || !isFormEncoded(r) {
		return ""
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil {
		return ""
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return values.Get("Action")
}

func isFormEncoded(r *http.Request) bool {
	contentType := r.Header.Get("Content-Type")
	return contentType == "" || strings.HasPrefix(strings.ToLower(contentType), "application/x-www-form-urlencoded")
}
