// Package funcenv reads a function's configuration from environment
// variables and builds its logger.
package funcenv

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// Getenv looks up an environment variable; os.Getenv satisfies it.
type Getenv func(name string) string

// Required returns the value of the variable name, or an error naming it
// when it is unset or empty.
func Required(getenv Getenv, name string) (string, error) {
	v := getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set; set it before starting the function", name)
	}
	return v, nil
}

// Int returns the integer value of the variable name, or def when it is
// unset. A value that is not an integer in [minValue, maxValue] is an error.
func Int(getenv Getenv, name string, def, minValue, maxValue int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("environment variable %s=%q is not an integer", name, v)
	}
	if n < minValue || n > maxValue {
		return 0, fmt.Errorf("environment variable %s=%d is out of range %d-%d", name, n, minValue, maxValue)
	}
	return n, nil
}

// Logger returns a JSON slog logger writing to w at the level in LOG_LEVEL
// (debug, info, warn or error; default info).
func Logger(getenv Getenv, w io.Writer) (*slog.Logger, error) {
	level := slog.LevelInfo
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(strings.ToLower(v))); err != nil {
			return nil, fmt.Errorf("environment variable LOG_LEVEL=%q is not debug, info, warn or error", v)
		}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})), nil
}
