//go:build !unix

package lambda

import "os/exec"

// detachFromTerminal does nothing where process groups are not available.
func detachFromTerminal(*exec.Cmd) {}
