package main

import (
	"fmt"
	"net"
	"strconv"
)

// defaultLocalECSAddr is where --local-ecs listens when given no address.
const defaultLocalECSAddr = "127.0.0.1:4599"

// localECSFlag is --local-ecs[=ADDR]: a boolean that may instead carry the
// address to listen on. The zero value is disabled.
type localECSFlag struct{ addr string }

// String implements flag.Value.
func (f *localECSFlag) String() string {
	if f == nil || f.addr == "" {
		return "false"
	}
	return f.addr
}

// Set implements flag.Value: true/false or host:port.
func (f *localECSFlag) Set(v string) error {
	if on, err := strconv.ParseBool(v); err == nil {
		f.addr = ""
		if on {
			f.addr = defaultLocalECSAddr
		}
		return nil
	}
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		return fmt.Errorf("want true, false or host:port, got %q", v)
	}
	f.addr = v
	return nil
}

// IsBoolFlag lets --local-ecs stand alone on the command line.
func (f *localECSFlag) IsBoolFlag() bool { return true }

// enabled reports whether the local ECS endpoint is to run.
func (f *localECSFlag) enabled() bool { return f.addr != "" }
