package job

import "github.com/google/uuid"

// NewID returns a random UUID (version 4) for a job or a correlation ID.
func NewID() string { return uuid.NewString() }
