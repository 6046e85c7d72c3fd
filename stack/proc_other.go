//go:build unix && !linux

package stack

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	// Own process group, so that a terminal's Ctrl-C reaches only the
	// stack's owner, which then stops the processes in order.
	return &syscall.SysProcAttr{Setpgid: true}
}
