package ecslocal

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// owner identifies the process of a server, so that a server started later
// can tell whether what it finds (containers, process groups) belongs to
// a server that is gone. start is the process's start time where the
// system tells it (Linux), which tells a live owner from a reused pid.
type owner struct {
	host, boot string
	pid        int
	start      string
}

// self is the owner of every server of this process.
var self = sync.OnceValue(func() owner {
	host, _ := os.Hostname()
	return owner{host: host, boot: bootID(), pid: os.Getpid(), start: processStart(os.Getpid())}
})

// String is the owner as labels and file names carry it: host/boot/pid/start.
func (o owner) String() string {
	return o.host + "/" + o.boot + "/" + strconv.Itoa(o.pid) + "/" + o.start
}

// parseOwner reads what String wrote.
func parseOwner(s string) (owner, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 4 {
		return owner{}, fmt.Errorf("owner %q: want host/boot/pid/start", s)
	}
	pid, err := strconv.Atoi(parts[2])
	if err != nil || pid <= 0 {
		return owner{}, fmt.Errorf("owner %q: bad pid", s)
	}
	return owner{host: parts[0], boot: parts[1], pid: pid, start: parts[3]}, nil
}

// gone reports whether o is a process of this host that no longer runs:
// one of an earlier boot, or whose pid is free or now another process's.
// An owner on another host (or in another container) is never gone: its
// leftovers are not ours to judge.
func (o owner) gone() bool {
	me := self()
	if o.host != me.host {
		return false
	}
	if o.boot != me.boot {
		return true
	}
	if o.pid == me.pid {
		return o.start != me.start
	}
	if err := syscall.Kill(o.pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return true
	}
	return o.start != "" && processStart(o.pid) != o.start
}
