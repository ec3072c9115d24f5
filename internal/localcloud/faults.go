package localcloud

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// FaultConfig sets the share of calls, per action, that fail with the error AWS returns for
// an internal fault. The SDKs retry such errors, so a fault costs a retry or, after the
// retries run out, a failed call.
type FaultConfig struct {
	// Seed makes the sequence of injected faults reproducible for the same sequence of calls.
	Seed uint64
	// Rates maps "service:Action" (for example "sns:PublishBatch" or
	// "sqs:DeleteMessageBatch") to a probability in [0, 1].
	Rates map[string]float64
}

// injectedFault is the error response written in place of the real one.
type injectedFault struct {
	status  int
	code    string
	message string
}

type faultInjector struct {
	mu       sync.Mutex
	rng      *rand.Rand
	rates    map[string]float64
	injected map[string]int64
}

func newFaultInjector(cfg *FaultConfig) (*faultInjector, error) {
	f := &faultInjector{injected: map[string]int64{}}
	if cfg == nil {
		return f, nil
	}
	for action, rate := range cfg.Rates {
		if rate < 0 || rate > 1 {
			return nil, fmt.Errorf("fault rate for %q is %v: it must be between 0 and 1", action, rate)
		}
		if !strings.HasPrefix(action, "sqs:") && !strings.HasPrefix(action, "sns:") {
			return nil, fmt.Errorf("fault action %q: name it as service:Action, such as sns:PublishBatch", action)
		}
	}
	f.rates = cfg.Rates
	f.rng = rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	return f, nil
}

// draw decides whether this call of action fails.
func (f *faultInjector) draw(action string) (injectedFault, bool) {
	rate := f.rates[action]
	if rate <= 0 {
		return injectedFault{}, false
	}
	f.mu.Lock()
	hit := f.rng.Float64() < rate
	if hit {
		f.injected[action]++
	}
	f.mu.Unlock()
	if !hit {
		return injectedFault{}, false
	}

	message := "injected fault: " + action
	if strings.HasPrefix(action, "sqs:") {
		return injectedFault{status: http.StatusInternalServerError, code: "InternalFailure", message: message}, true
	}
	return injectedFault{status: http.StatusInternalServerError, code: "InternalError", message: message}, true
}

func (f *faultInjector) counts() map[string]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int64, len(f.injected))
	for action, n := range f.injected {
		out[action] = n
	}
	return out
}

// callCounter counts API calls by action.
type callCounter struct {
	mu    sync.Mutex
	calls map[string]int64
}

func newCallCounter() *callCounter { return &callCounter{calls: map[string]int64{}} }

func (c *callCounter) add(action string) {
	c.mu.Lock()
	c.calls[action]++
	c.mu.Unlock()
}

func (c *callCounter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.calls))
	for action, n := range c.calls {
		out[action] = n
	}
	return out
}

// SortedActions returns the keys of counts in order, for stable reports.
func SortedActions(counts map[string]int64) []string {
	actions := make([]string, 0, len(counts))
	for action := range counts {
		actions = append(actions, action)
	}
	sort.Strings(actions)
	return actions
}
