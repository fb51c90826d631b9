//go:build unix && !linux

package ecslocal

import "syscall"

// sysProcAttr puts a container's process in its own process group, so that
// signals reach everything it started.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitUnreaped reports false: the exit is awaited by reaping the process.
func waitUnreaped(int) bool { return false }
