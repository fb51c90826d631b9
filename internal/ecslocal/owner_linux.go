package ecslocal

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// bootID identifies the running boot of the system.
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// procStat returns the fields of /proc/<pid>/stat after the command name
// (the first is the state), or nil when there is no such process.
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// Indexes in procStat's fields (stat(5)'s numbers less 3).
const (
	statPgrp      = 2
	statSession   = 3
	statStartTime = 19
)

// processStart is the start time of process pid in clock ticks since
// boot, "" when there is no such process.
func processStart(pid int) string {
	f := procStat(pid)
	if len(f) <= statStartTime {
		return ""
	}
	return f[statStartTime]
}

// processSession is the session id of process pid, "" when there is no
// such process.
func processSession(pid int) string {
	f := procStat(pid)
	if len(f) <= statSession {
		return ""
	}
	return f[statSession]
}

// killLeftoverGroup kills what is left of a container whose server is
// gone: the processes of process group pgid, in the server's session,
// that started no earlier than the group's leader did (leaderStart, clock
// ticks since boot). While any process of the group lives the kernel
// does not hand its id out again, so a group found with that id is ours,
// unless all of ours ended and the id came round again since: then a live
// leader with another start time, another session or an earlier start
// tells it apart, and only a group in the same session whose leader is
// gone and whose processes all started later could be taken for ours.
func killLeftoverGroup(pgid int, leaderStart, session string) {
	leader, err := strconv.ParseUint(leaderStart, 10, 64)
	if err != nil || session == "" {
		return
	}
	if start := processStart(pgid); start != "" && start != leaderStart {
		return // the id belongs to another process now
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	want := strconv.Itoa(pgid)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f := procStat(pid)
		if len(f) <= statStartTime || f[statPgrp] != want || f[statSession] != session {
			continue
		}
		if start, err := strconv.ParseUint(f[statStartTime], 10, 64); err == nil && start >= leader {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
