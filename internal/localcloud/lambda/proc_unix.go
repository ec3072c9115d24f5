//go:build unix

package lambda

import (
	"os/exec"
	"syscall"
)

// detachFromTerminal starts the instance in a process group of its own, so that Ctrl-C in
// the terminal reaches only relay, which then stops its instances in order, as Lambda's
// runtime controls its instances' lifetime. An instance whose runtime has gone exits by
// itself: its next request for an event fails.
func detachFromTerminal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
