package lambda

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sync/atomic"
	"time"
)

// Faults injects failures into invokes. Each invocation an instance takes draws one
// number from a hash of Seed, the function's name and the invocation's sequence number in
// that function. A run with the same seed and the same sequence of invokes therefore
// injects the same faults. The draw picks a kill with probability KillRate, otherwise a
// timeout with probability TimeoutRate, otherwise a delay with probability DelayRate.
type Faults struct {
	Seed int64
	// KillRate is the share of invocations whose instance is killed (SIGKILL) after the
	// handler ran but before its response is accepted: the invoke fails with
	// Runtime.ExitError, and any side effects of the handler have happened.
	KillRate float64
	// TimeoutRate is the share of invocations whose response is held back until the invoke
	// times out: the invoke fails with Sandbox.Timedout and the instance is killed.
	TimeoutRate float64
	// DelayRate is the share of invocations whose outcome reaches the caller Delay late.
	DelayRate float64
	// Delay is the extra latency of a delayed invocation. Default 1s.
	Delay time.Duration
	// TimeoutAfter, when set, ends an invocation with an injected timeout this long after it
	// started instead of after the function's full timeout. The error still names the
	// function's timeout.
	TimeoutAfter time.Duration
	// Functions limits the faults to these function names. Empty means every function.
	Functions []string
}

// FaultCounts counts the faults injected so far, by kind.
type FaultCounts struct {
	Seed     int64
	Kills    int64
	Timeouts int64
	Delays   int64
}

type faultKind uint8

const (
	faultNone faultKind = iota
	faultKill
	faultTimeout
	faultDelay
)

// faultInjector decides and counts faults. A nil *faultInjector injects none.
type faultInjector struct {
	cfg          Faults
	timeoutAfter time.Duration
	kills        atomic.Int64
	timeouts     atomic.Int64
	delays       atomic.Int64
}

func newFaultInjector(cfg *Faults) (*faultInjector, error) {
	if cfg == nil {
		return nil, nil
	}
	for _, rate := range []struct {
		name  string
		value float64
	}{{"KillRate", cfg.KillRate}, {"TimeoutRate", cfg.TimeoutRate}, {"DelayRate", cfg.DelayRate}} {
		if rate.value < 0 || rate.value > 1 {
			return nil, fmt.Errorf("faults: %s %g is out of range 0-1", rate.name, rate.value)
		}
	}
	if sum := cfg.KillRate + cfg.TimeoutRate + cfg.DelayRate; sum > 1 {
		return nil, fmt.Errorf("faults: KillRate + TimeoutRate + DelayRate is %g, more than 1", sum)
	}
	if cfg.Delay < 0 || cfg.TimeoutAfter < 0 {
		return nil, fmt.Errorf("faults: Delay %s and TimeoutAfter %s must not be negative", cfg.Delay, cfg.TimeoutAfter)
	}
	injector := &faultInjector{cfg: *cfg, timeoutAfter: cfg.TimeoutAfter}
	injector.cfg.Functions = slices.Clone(cfg.Functions)
	if injector.cfg.Delay == 0 {
		injector.cfg.Delay = time.Second
	}
	return injector, nil
}

// decide returns the fault for the function's invocation number seq, and the delay of a
// delay fault.
func (fi *faultInjector) decide(function string, seq uint64) (faultKind, time.Duration) {
	if fi == nil {
		return faultNone, 0
	}
	if len(fi.cfg.Functions) > 0 && !slices.Contains(fi.cfg.Functions, function) {
		return faultNone, 0
	}
	u := unitFloat(uint64(fi.cfg.Seed) ^ hashString(function) ^ seq*0x9e3779b97f4a7c15)
	switch {
	case u < fi.cfg.KillRate:
		return faultKill, 0
	case u < fi.cfg.KillRate+fi.cfg.TimeoutRate:
		return faultTimeout, 0
	case u < fi.cfg.KillRate+fi.cfg.TimeoutRate+fi.cfg.DelayRate:
		fi.delays.Add(1)
		return faultDelay, fi.cfg.Delay
	}
	return faultNone, 0
}

func (fi *faultInjector) counts() FaultCounts {
	if fi == nil {
		return FaultCounts{}
	}
	return FaultCounts{Seed: fi.cfg.Seed, Kills: fi.kills.Load(), Timeouts: fi.timeouts.Load(), Delays: fi.delays.Load()}
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// unitFloat mixes x (splitmix64's finalizer) into a float in [0, 1).
func unitFloat(x uint64) float64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}
