package ecslocal

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Prefixes of the reasons ECS gives for containers that could not start.
const (
	cannotStartPrefix = "CannotStartContainerError: "
	cannotPullPrefix  = "CannotPullContainerError: "
)

// runLifecycle takes a task from PROVISIONING to STOPPED: it waits out a
// provisioning hold, sets up logging and pulls the images (PENDING),
// starts the containers as their dependsOn conditions allow (RUNNING once
// none is left waiting), supervises them until the task stops, lets the
// other containers stop and their output drain (DEPROVISIONING, from the
// stop request on) and records how it stopped (STOPPED). It runs in its
// own goroutine, counted in tasksWG.
func (s *Server) runLifecycle(t *task) {
	defer s.tasksWG.Done()
	if !s.provision(t) {
		s.finish(t)
		return
	}
	ctx := t.ctx
	if err := s.resolveSecrets(t); err != nil {
		s.failToStart(t, err)
		return
	}
	if err := s.prepareLogging(t); err != nil {
		s.failToStart(t, err)
		return
	}
	if err := s.pullImages(ctx, t); err != nil {
		s.failToStart(t, err)
		return
	}
	s.supervise(ctx, t)
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
	t.t.Version++
	return true
}

// prepareLogging checks every container's log configuration and creates
// the log groups it asks for, before anything is pulled or started.
func (s *Server) prepareLogging(t *task) error {
	for i := range t.specs {
		if err := s.ensureLogGroup(&t.specs[i]); err != nil {
			return startError{container: -1, reason: err.Error()}
		}
	}
	return nil
}

// pullImages makes every image of the task available, recording
// pullStartedAt and pullStoppedAt. A failed pull is the first container
// with that image's CannotPullContainerError.
func (s *Server) pullImages(ctx context.Context, t *task) error {
	s.mu.Lock()
	t.t.PullStartedAt = ptr(time.Now())
	t.t.Version++
	s.mu.Unlock()
	pulled := map[string]bool{}
	for i := range t.specs {
		image := t.specs[i].image
		if pulled[image] {
			continue
		}
		if err := s.rt.pull(ctx, image); err != nil {
			if ctx.Err() != nil {
				return nil // stopped meanwhile: supervise starts nothing
			}
			return startError{container: i, reason: cannotPullPrefix + err.Error()}
		}
		pulled[image] = true
	}
	s.mu.Lock()
	t.t.PullStoppedAt = ptr(time.Now())
	t.t.Version++
	s.mu.Unlock()
	return nil
}

// startError is why a task failed to start; container is the index of the
// container at fault, or -1 for a failure of the whole task (logging).
type startError struct {
	container int
	reason    string
}

func (e startError) Error() string { return e.reason }

// failToStart stops a task none of whose containers runs with
// TaskFailedToStart.
func (s *Server) failToStart(t *task, err error) {
	se := startError{container: -1, reason: err.Error()}
	errors.As(err, &se)
	s.mu.Lock()
	s.requestStopLocked(t, types.TaskStopCodeTaskFailedToStart, se.reason)
	if se.container >= 0 {
		t.t.Containers[se.container].Reason = ptr(se.reason)
	}
	s.mu.Unlock()
	s.finish(t)
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
	t.cancel()
}

// finish moves a task that is stopping, whose containers are all gone and
// whose output is all delivered, from DEPROVISIONING to STOPPED.
func (s *Server) finish(t *task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.cancel()
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
