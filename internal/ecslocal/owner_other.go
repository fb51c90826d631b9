//go:build unix && !linux

package ecslocal

// bootID is unknown here: owners are told apart by pid only.
func bootID() string { return "" }

// processStart is unknown here.
func processStart(int) string { return "" }

// processSession is unknown here.
func processSession(int) string { return "" }

// killLeftoverGroup does nothing here: without the start times of
// processes, a reused process group id cannot be told from ours.
func killLeftoverGroup(int, string, string) {}
