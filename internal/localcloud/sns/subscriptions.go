package sns

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	protocolSQS    = "sqs"
	protocolLambda = "lambda"
	protocolHTTP   = "http"
	protocolHTTPS  = "https"

	scopeAttributes = "MessageAttributes"
	scopeBody       = "MessageBody"

	// pendingARN is what Subscribe returns for an unconfirmed subscription, unless the
	// request sets ReturnSubscriptionArn, and what the List actions show in its place.
	pendingARN     = "pending confirmation"
	pendingListARN = "PendingConfirmation"
)

// subscription is one subscription of a topic. Its fields are guarded by Service.mu.
type subscription struct {
	arn       string
	topicARN  string
	protocol  string
	endpoint  string
	confirmed bool
	token     string // confirmation token of an http or https subscription
	raw       bool   // RawMessageDelivery
	// filterPolicy is the FilterPolicy as given, "" for none; policy is its compiled
	// form, evaluated in filterScope.
	filterPolicy string
	filterScope  string
	policy       *filterPolicy
	attrs        map[string]string // other attributes that were set, stored as given
}

// storedSubscriptionAttributes are accepted and returned, with no effect on delivery.
var storedSubscriptionAttributes = map[string]bool{
	"DeliveryPolicy":      true,
	"RedrivePolicy":       true,
	"SubscriptionRoleArn": true,
	"ReplayPolicy":        true,
}

func (s *Service) subscribe(c *call) error {
	topicARN := c.params.get("TopicArn")
	if _, ok := parseTopicARN(topicARN); !ok {
		return invalidParameter("TopicArn")
	}
	protocol := c.params.get("Protocol")
	endpoint := c.params.get("Endpoint")
	if err := validateEndpoint(protocol, endpoint); err != nil {
		return err
	}
	attrs, err := c.params.attributeMap("Attributes")
	if err != nil {
		return invalidParameter("Attributes Reason: %v", err)
	}

	sub := &subscription{
		topicARN:    topicARN,
		protocol:    protocol,
		endpoint:    endpoint,
		confirmed:   protocol == protocolSQS || protocol == protocolLambda,
		filterScope: scopeAttributes,
	}
	// FilterPolicyScope goes first, because it decides how FilterPolicy is checked.
	names := slices.SortedFunc(maps.Keys(attrs), func(a, b string) int {
		return boolRank(b == "FilterPolicyScope") - boolRank(a == "FilterPolicyScope")
	})
	for _, name := range names {
		if err := sub.setAttribute(name, attrs[name]); err != nil {
			return err
		}
	}

	s.mu.Lock()
	t := s.topics[topicARN]
	if t == nil {
		s.mu.Unlock()
		return errTopicNotFound()
	}
	if existing := findSubscription(t, protocol, endpoint); existing != nil {
		same := existing.sameSettings(sub)
		arn, confirmed := existing.arn, existing.confirmed
		s.mu.Unlock()
		if len(attrs) > 0 && !same {
			return invalidParameter("Attributes Reason: Subscription already exists with different attributes")
		}
		return s.respondSubscribe(c, arn, confirmed)
	}
	if t.maxMessageSize() > defaultMaxMessageSize && !sub.confirmed {
		s.mu.Unlock()
		return invalidParameter("Protocol Reason: topic %s has a MaximumMessageSize above %d bytes, which only sqs, firehose and lambda subscriptions support", topicARN, defaultMaxMessageSize)
	}
	sub.arn = topicARN + ":" + newMessageID()
	if !sub.confirmed {
		sub.token = newConfirmationToken()
		s.tokens[sub.token] = sub
	}
	s.subs[sub.arn] = sub
	t.subs = append(t.subs, sub)
	pending := *sub
	signatureVersion := t.signatureVersion()
	s.mu.Unlock()

	if !pending.confirmed {
		s.sendConfirmation(c.baseURL, signatureVersion, &pending)
	}
	s.logger.Debug("subscription created", "topic_arn", topicARN, "subscription_arn", sub.arn, "protocol", protocol)
	return s.respondSubscribe(c, sub.arn, pending.confirmed)
}

func (s *Service) respondSubscribe(c *call, arn string, confirmed bool) error {
	if !confirmed && c.params.get("ReturnSubscriptionArn") != "true" {
		arn = pendingARN
	}
	resp := newResponse("Subscribe")
	resp.element("SubscriptionArn", arn)
	c.respond(resp)
	return nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func findSubscription(t *topic, protocol, endpoint string) *subscription {
	for _, sub := range t.subs {
		if sub.protocol == protocol && sub.endpoint == endpoint {
			return sub
		}
	}
	return nil
}

// sameSettings reports whether other has the same attributes as sub, for the idempotent
// repeat of a Subscribe call.
func (sub *subscription) sameSettings(other *subscription) bool {
	return sub.raw == other.raw && sub.filterPolicy == other.filterPolicy &&
		(sub.filterPolicy == "" || sub.filterScope == other.filterScope) &&
		maps.Equal(sub.attrs, other.attrs)
}

// validateEndpoint checks that endpoint suits protocol. HTTP endpoints must name a loopback
// host, so the local SNS never sends a request off this machine.
func validateEndpoint(protocol, endpoint string) error {
	switch protocol {
	case protocolSQS:
		if !validARN(endpoint, "sqs", 6) {
			return invalidParameter("SQS endpoint ARN")
		}
	case protocolLambda:
		parts := strings.Split(endpoint, ":")
		if !validARN(endpoint, "lambda", len(parts)) || len(parts) < 7 || len(parts) > 8 || parts[5] != "function" || parts[6] == "" {
			return invalidParameter("Lambda endpoint ARN")
		}
	case protocolHTTP, protocolHTTPS:
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != protocol || u.Host == "" {
			return invalidParameter("Endpoint must match the specified protocol")
		}
		if !isLoopbackHost(u.Hostname()) {
			return invalidParameter("Endpoint Reason: the local SNS delivers only to loopback hosts (127.0.0.0/8, ::1, localhost), not %q; run the subscriber on this machine", u.Hostname())
		}
	case "email", "email-json", "sms", "application", "firehose":
		return invalidParameter("Protocol Reason: the local SNS does not deliver to protocol %s; use sqs, lambda, http or https", protocol)
	default:
		return invalidParameter("Amazon SNS does not support this protocol string: %s", protocol)
	}
	return nil
}

// validARN reports whether arn is arn:PARTITION:service:REGION:ACCOUNT:... with parts
// colon-separated fields, all of them non-empty.
func validARN(arn, service string, parts int) bool {
	fields := strings.Split(arn, ":")
	if len(fields) != parts || fields[0] != "arn" || fields[2] != service {
		return false
	}
	for _, field := range fields {
		if field == "" {
			return false
		}
	}
	return true
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP address literal.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newConfirmationToken() string {
	var b [64]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// setAttribute validates and applies one subscription attribute. The caller holds
// Service.mu when sub is already stored.
func (sub *subscription) setAttribute(name, value string) error {
	switch name {
	case "RawMessageDelivery":
		if !strings.EqualFold(value, "true") && !strings.EqualFold(value, "false") {
			return invalidParameter("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		raw := strings.EqualFold(value, "true")
		if raw && sub.protocol != protocolSQS && sub.protocol != protocolHTTP && sub.protocol != protocolHTTPS {
			return invalidParameter("Attributes Reason: Delivery protocol [%s] does not support raw message delivery.", sub.protocol)
		}
		sub.raw = raw
	case "FilterPolicyScope":
		if value != scopeAttributes && value != scopeBody {
			return invalidParameter("Attributes Reason: FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", value)
		}
		if sub.filterPolicy != "" {
			policy, err := compileFilterPolicy(sub.filterPolicy, value)
			if err != nil {
				return err
			}
			sub.policy = policy
		}
		sub.filterScope = value
	case "FilterPolicy":
		if strings.TrimSpace(value) == "" {
			sub.filterPolicy, sub.policy = "", nil
			return nil
		}
		policy, err := compileFilterPolicy(value, sub.filterScope)
		if err != nil {
			return err
		}
		sub.filterPolicy, sub.policy = value, policy
	default:
		if !storedSubscriptionAttributes[name] {
			return invalidParameter("AttributeName")
		}
		if sub.attrs == nil {
			sub.attrs = map[string]string{}
		}
		sub.attrs[name] = value
	}
	return nil
}

func (s *Service) confirmSubscription(c *call) error {
	topicARN := c.params.get("TopicArn")
	if _, ok := parseTopicARN(topicARN); !ok {
		return invalidParameter("TopicArn")
	}
	token := c.params.get("Token")

	s.mu.Lock()
	if s.topics[topicARN] == nil {
		s.mu.Unlock()
		return errTopicNotFound()
	}
	sub := s.tokens[token]
	if sub == nil || sub.topicARN != topicARN {
		s.mu.Unlock()
		return invalidParameter("Token")
	}
	sub.confirmed = true
	arn := sub.arn
	s.mu.Unlock()

	resp := newResponse("ConfirmSubscription")
	resp.element("SubscriptionArn", arn)
	c.respond(resp)
	return nil
}

func (s *Service) unsubscribe(c *call) error {
	arn := c.params.get("SubscriptionArn")
	if !validSubscriptionARN(arn) {
		return invalidParameter("SubscriptionArn")
	}

	s.mu.Lock()
	sub := s.subs[arn]
	if sub == nil {
		s.mu.Unlock()
		return errSubscriptionNotFound()
	}
	s.removeSubscriptionLocked(sub)
	if t := s.topics[sub.topicARN]; t != nil {
		t.deletedSubscriptions++
	}
	s.mu.Unlock()

	c.respond(newResponse("Unsubscribe"))
	return nil
}

// removeSubscriptionLocked deletes sub from the service and its topic. The caller holds
// Service.mu for writing.
func (s *Service) removeSubscriptionLocked(sub *subscription) {
	delete(s.subs, sub.arn)
	if sub.token != "" {
		delete(s.tokens, sub.token)
	}
	if t := s.topics[sub.topicARN]; t != nil {
		t.subs = slices.DeleteFunc(t.subs, func(other *subscription) bool { return other == sub })
	}
}

// validSubscriptionARN reports whether arn has the form of a subscription ARN: a topic ARN
// followed by ":" and an id.
func validSubscriptionARN(arn string) bool {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 || i == len(arn)-1 {
		return false
	}
	_, ok := parseTopicARN(arn[:i])
	return ok
}

func (s *Service) listSubscriptions(c *call) error {
	return s.respondSubscriptions(c, "ListSubscriptions", "")
}

func (s *Service) listSubscriptionsByTopic(c *call) error {
	topicARN := c.params.get("TopicArn")
	if _, ok := parseTopicARN(topicARN); !ok {
		return invalidParameter("TopicArn")
	}
	return s.respondSubscriptions(c, "ListSubscriptionsByTopic", topicARN)
}

// respondSubscriptions lists the subscriptions of topicARN, or of every topic when it is "".
func (s *Service) respondSubscriptions(c *call, action, topicARN string) error {
	s.mu.RLock()
	var subs []*subscription
	if topicARN != "" {
		t := s.topics[topicARN]
		if t == nil {
			s.mu.RUnlock()
			return errTopicNotFound()
		}
		subs = t.subs
	} else {
		subs = slices.Collect(maps.Values(s.subs))
	}
	byARN := make(map[string]subscription, len(subs))
	for _, sub := range subs {
		byARN[sub.arn] = *sub
	}
	s.mu.RUnlock()

	page, next, err := pageAfter(slices.Sorted(maps.Keys(byARN)), c.params.get("NextToken"))
	if err != nil {
		return err
	}
	resp := newResponse(action)
	resp.open("Subscriptions")
	for _, arn := range page {
		sub := byARN[arn]
		shownARN := sub.arn
		if !sub.confirmed {
			shownARN = pendingListARN
		}
		resp.open("member")
		resp.element("SubscriptionArn", shownARN)
		resp.element("Owner", s.cfg.AccountID)
		resp.element("Protocol", sub.protocol)
		resp.element("Endpoint", sub.endpoint)
		resp.element("TopicArn", sub.topicARN)
		resp.close("member")
	}
	resp.close("Subscriptions")
	if next != "" {
		resp.element("NextToken", next)
	}
	c.respond(resp)
	return nil
}

func (s *Service) getSubscriptionAttributes(c *call) error {
	arn := c.params.get("SubscriptionArn")
	if !validSubscriptionARN(arn) {
		return invalidParameter("SubscriptionArn")
	}

	s.mu.RLock()
	stored := s.subs[arn]
	if stored == nil {
		s.mu.RUnlock()
		return errSubscriptionNotFound()
	}
	sub := *stored
	attrs := maps.Clone(sub.attrs)
	s.mu.RUnlock()

	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs["SubscriptionArn"] = sub.arn
	attrs["TopicArn"] = sub.topicARN
	attrs["Owner"] = s.cfg.AccountID
	attrs["Protocol"] = sub.protocol
	attrs["Endpoint"] = sub.endpoint
	attrs["PendingConfirmation"] = strconv.FormatBool(!sub.confirmed)
	attrs["ConfirmationWasAuthenticated"] = strconv.FormatBool(sub.confirmed)
	attrs["RawMessageDelivery"] = strconv.FormatBool(sub.raw)
	if sub.filterPolicy != "" {
		attrs["FilterPolicy"] = sub.filterPolicy
		attrs["FilterPolicyScope"] = sub.filterScope
	}
	if sub.protocol == protocolHTTP || sub.protocol == protocolHTTPS {
		attrs["EffectiveDeliveryPolicy"] = defaultEffectiveDeliveryPolicy
	}

	resp := newResponse("GetSubscriptionAttributes")
	resp.attributes("Attributes", slices.Sorted(maps.Keys(attrs)), attrs)
	c.respond(resp)
	return nil
}

func (s *Service) setSubscriptionAttributes(c *call) error {
	arn := c.params.get("SubscriptionArn")
	if !validSubscriptionARN(arn) {
		return invalidParameter("SubscriptionArn")
	}
	name := c.params.get("AttributeName")
	value := c.params.get("AttributeValue")

	s.mu.Lock()
	sub := s.subs[arn]
	if sub == nil {
		s.mu.Unlock()
		return errSubscriptionNotFound()
	}
	err := sub.setAttribute(name, value)
	s.mu.Unlock()
	if err != nil {
		return err
	}

	c.respond(newResponse("SetSubscriptionAttributes"))
	return nil
}
