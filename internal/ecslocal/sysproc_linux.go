package ecslocal

import "syscall"

// sysProcAttr puts a container's process in its own process group, so that
// signals reach everything it started, and kills it if the server dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
