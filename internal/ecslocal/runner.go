package ecslocal

import (
	"errors"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// cannotStartPrefix begins the reason of a container whose command could
// not be executed, as Docker words it for ECS.
const cannotStartPrefix = "CannotStartContainerError: Error response from daemon: failed to create task for container: unable to start container process: "

// runLifecycle takes a task from PROVISIONING to STOPPED: it waits out a
// provisioning hold, sets up logging and starts every container's process
// (PENDING), supervises them (RUNNING) until the task stops, lets the
// other containers stop and their output drain (DEPROVISIONING, from the
// stop request on) and records how it stopped (STOPPED). It runs in its
// own goroutine, counted in tasksWG.
func (s *Server) runLifecycle(t *task) {
	defer s.tasksWG.Done()
	if !s.provision(t) {
		s.finish(t)
		return
	}
	procs, err := s.startContainers(t)
	if err != nil {
		s.failToStart(t, procs, err)
		return
	}
	s.mu.Lock()
	// A stop requested while the containers were starting has already
	// moved the task on to DEPROVISIONING: it never reports RUNNING.
	running := !t.stopping
	if running {
		t.t.LastStatus = ptr(statusRunning)
		t.t.StartedAt = ptr(time.Now())
		setAttachmentStatus(&t.t, "ATTACHED")
		t.t.Version++
	}
	s.mu.Unlock()
	if running {
		s.log.Info("task running", "task", str(t.t.TaskArn), "family", t.family)
	}

	s.supervise(t, procs)
	s.finish(t)
}

// provision holds the task in PROVISIONING as long as the fault asks, then
// moves it to PENDING. It returns false if the task was stopped meanwhile.
func (s *Server) provision(t *task) bool {
	if t.hold > 0 {
		timer := time.NewTimer(t.hold)
		select {
		case <-timer.C:
		case <-t.stopCh:
			timer.Stop()
			return false
		case <-s.closeCh:
			timer.Stop()
			s.mu.Lock()
			s.requestStopLocked(t, types.TaskStopCodeTerminationNotice, reasonShutdown)
			s.mu.Unlock()
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.stopping {
		return false
	}
	now := time.Now()
	t.t.LastStatus = ptr(statusPending)
	t.t.Connectivity = types.ConnectivityConnected
	t.t.ConnectivityAt = ptr(now)
	t.t.PullStartedAt = ptr(now)
	t.t.PullStoppedAt = ptr(now) // images are recorded, not pulled
	t.t.Version++
	return true
}

// startContainers sets up every container's logging, then starts their
// processes, marking each container RUNNING as its process starts. On
// error it returns the processes already started.
func (s *Server) startContainers(t *task) ([]*process, error) {
	sinks := make([]func(string), len(t.specs))
	for i := range t.specs {
		sink, err := s.logSink(t.id, &t.specs[i], str(t.t.Containers[i].RuntimeId))
		if err != nil {
			return nil, startError{container: -1, reason: err.Error()}
		}
		sinks[i] = sink
	}
	var procs []*process
	for i := range t.specs {
		p, err := startProcess(&t.specs[i], sinks[i])
		if err != nil {
			return procs, startError{container: i, reason: cannotStartPrefix + err.Error() + ": unknown"}
		}
		procs = append(procs, p)
		s.mu.Lock()
		t.t.Containers[i].LastStatus = ptr(statusRunning)
		t.t.Version++
		s.mu.Unlock()
	}
	return procs, nil
}

// startError is why a task failed to start; container is the index of the
// container at fault, or -1 for a failure of the whole task (logging).
type startError struct {
	container int
	reason    string
}

func (e startError) Error() string { return e.reason }

// failToStart kills what was started and stops the task with
// TaskFailedToStart.
func (s *Server) failToStart(t *task, started []*process, err error) {
	codes := make([]int, len(started))
	for i, p := range started {
		p.signal(syscall.SIGKILL)
		codes[i] = p.waitExit()
		p.drain()
	}
	se := startError{container: -1, reason: err.Error()}
	errors.As(err, &se)
	s.mu.Lock()
	s.requestStopLocked(t, types.TaskStopCodeTaskFailedToStart, se.reason)
	for i, code := range codes {
		t.t.Containers[i].ExitCode = ptr(int32(code))
	}
	if se.container >= 0 {
		t.t.Containers[se.container].Reason = ptr(se.reason)
	}
	s.mu.Unlock()
	s.finish(t)
}

// exitEvent reports that a container's process exited.
type exitEvent struct {
	index int
	code  int
}

// supervise waits for every container process to exit and for all of
// their output to be delivered. An essential container's exit stops the
// task; a stop request (StopTask, a fault, Close) sends SIGTERM to every
// process group and SIGKILL after the stop timeout.
func (s *Server) supervise(t *task, procs []*process) {
	exits := make(chan exitEvent, len(procs))
	var drained sync.WaitGroup
	for i, p := range procs {
		drained.Go(func() {
			exits <- exitEvent{index: i, code: p.waitExit()}
			p.drain()
		})
	}
	stopCh, closeCh := t.stopCh, s.closeCh
	for alive := len(procs); alive > 0; {
		select {
		case e := <-exits:
			alive--
			p := procs[e.index]
			s.mu.Lock()
			c := &t.t.Containers[e.index]
			c.LastStatus = ptr(statusStopped)
			c.ExitCode = ptr(int32(e.code))
			t.t.Version++
			if p.spec.essential {
				s.requestStopLocked(t, types.TaskStopCodeEssentialContainerExited, reasonEssentialExited)
			}
			if alive == 0 {
				t.t.ExecutionStoppedAt = ptr(time.Now())
			}
			s.mu.Unlock()
		case <-stopCh:
			stopCh = nil
			s.terminate(procs, 0)
		case <-closeCh:
			closeCh = nil
			s.mu.Lock()
			s.requestStopLocked(t, types.TaskStopCodeTerminationNotice, reasonShutdown)
			s.mu.Unlock()
			s.terminate(procs, closeGrace)
		}
	}
	drained.Wait()
}

// terminate sends SIGTERM to every live container's process group (once)
// and arranges SIGKILL after its stop timeout, capped at limit if > 0.
func (s *Server) terminate(procs []*process, limit time.Duration) {
	now := time.Now()
	for _, p := range procs {
		timeout := p.spec.stopTimeout
		if timeout == 0 {
			timeout = s.opts.StopTimeout
		}
		if limit > 0 {
			timeout = min(timeout, limit)
		}
		p.stop(now.Add(timeout))
	}
}

// requestStopLocked marks the task as stopping with the given stop code and
// reason, moves it to DEPROVISIONING (its containers stop and their output
// drains from now on) and wakes its runner; the first request wins.
func (s *Server) requestStopLocked(t *task, code types.TaskStopCode, reason string) {
	if t.stopping {
		return
	}
	t.stopping = true
	t.t.LastStatus = ptr(statusDeprovisioning)
	t.t.DesiredStatus = ptr(statusStopped)
	t.t.StopCode = code
	t.t.StoppedReason = ptr(reason)
	t.t.StoppingAt = ptr(time.Now())
	t.t.Version++
	close(t.stopCh)
}

// finish moves a task that is stopping, whose processes are all gone and
// whose output is all delivered, from DEPROVISIONING to STOPPED.
func (s *Server) finish(t *task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for i := range t.t.Containers {
		t.t.Containers[i].LastStatus = ptr(statusStopped)
	}
	setAttachmentStatus(&t.t, "DELETED")
	t.t.LastStatus = ptr(statusStopped)
	t.t.StoppedAt = ptr(now)
	if t.t.ExecutionStoppedAt == nil {
		t.t.ExecutionStoppedAt = ptr(now)
	}
	t.t.Version++
	s.log.Info("task stopped", "task", str(t.t.TaskArn), "stopCode", string(t.t.StopCode), "reason", str(t.t.StoppedReason))
}

// setAttachmentStatus sets the status of the task's network attachments,
// replacing the slice so snapshots keep theirs.
func setAttachmentStatus(t *types.Task, status string) {
	if len(t.Attachments) == 0 {
		return
	}
	as := make([]types.Attachment, len(t.Attachments))
	copy(as, t.Attachments)
	for i := range as {
		as[i].Status = ptr(status)
	}
	t.Attachments = as
}
