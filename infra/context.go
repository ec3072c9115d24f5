package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/relay-pipeline/relay/internal/settings"
)

// Context keys of the stack besides the settings keys (settings.Keys).
const (
	// contextNotifyEmail subscribes an email address to failed results
	// (`-c notifyEmail=ops@example.com`).
	contextNotifyEmail = "notifyEmail"
	// contextAlarmEmail subscribes an email address to the alarm topic
	// (`-c alarmEmail=ops@example.com`).
	contextAlarmEmail = "alarmEmail"
)

// propsFromContext reads the settings overrides and the email addresses from the CDK
// context of node and checks them. The error names every bad key and value.
func propsFromContext(node constructs.Node) (*RelayStackProps, error) {
	lookup := func(key string) any { return node.TryGetContext(jsii.String(key)) }

	if err := checkKeySpelling(node); err != nil {
		return nil, err
	}
	s, err := settings.Load(lookup)
	if err != nil {
		return nil, err
	}

	var errs []error
	email := func(key string) string {
		switch v := lookup(key).(type) {
		case nil:
			return ""
		case string:
			return strings.TrimSpace(v)
		default:
			errs = append(errs, fmt.Errorf("context key %s: value %v is a %T, not an email address", key, v, v))
			return ""
		}
	}
	props := &RelayStackProps{
		Settings:    s,
		NotifyEmail: email(contextNotifyEmail),
		AlarmEmail:  email(contextAlarmEmail),
	}
	return props, errors.Join(errs...)
}

// checkKeySpelling rejects a context key that differs from a known key only in case,
// such as deliverydelay, which the app would otherwise ignore silently.
func checkKeySpelling(node constructs.Node) error {
	all, ok := node.GetAllContext(nil).(map[string]any)
	if !ok {
		return nil
	}
	known := map[string]string{}
	for _, k := range settings.Keys() {
		known[strings.ToLower(k.Name)] = k.Name
	}
	known[strings.ToLower(contextNotifyEmail)] = contextNotifyEmail
	known[strings.ToLower(contextAlarmEmail)] = contextAlarmEmail

	var errs []error
	keys := make([]string, 0, len(all))
	for key := range all {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if name, ok := known[strings.ToLower(key)]; ok && name != key {
			errs = append(errs, fmt.Errorf("context key %s is unknown: did you mean %s?", key, name))
		}
	}
	return errors.Join(errs...)
}
