package ecslocal

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ctrState is where a container of a running task is.
type ctrState int

const (
	ctrWaiting      ctrState = iota // for its dependsOn conditions
	ctrRunning                      // started, not exited yet
	ctrExited                       // started and exited
	ctrNeverStarted                 // the task stopped first, or a condition cannot be met
)

// ctrRun is the supervisor's view of one container.
type ctrRun struct {
	state  ctrState
	c      container
	exit   exitResult
	health types.HealthStatus
	// startedAt is when it started, deadline when its startTimeout runs
	// out (zero: none).
	startedAt, deadline time.Time
}

// ctrEvent is an exit (exit set) or a health change of container index.
type ctrEvent struct {
	index  int
	exit   *exitResult
	health types.HealthStatus
}

// supervisor runs the containers of one task; its fields are used by the
// supervising goroutine only.
type supervisor struct {
	s      *Server
	t      *task
	ctx    context.Context
	runs   []ctrRun
	events chan ctrEvent
	done   chan struct{} // closed when supervise returns: late health reports are dropped
	order  []int         // indexes of the containers in the order they started
	wg     sync.WaitGroup
	marked bool // the task was reported RUNNING
}

// supervise starts the task's containers as their dependsOn conditions
// allow, in definition order, and supervises them until every one has
// exited (or will never start) and all of their output is delivered. An
// essential container's exit stops the task; a stop request (StopTask, a
// fault, Close) sends SIGTERM to every running container and SIGKILL after
// its stop timeout.
func (s *Server) supervise(ctx context.Context, t *task) {
	sv := &supervisor{
		s:      s,
		t:      t,
		ctx:    ctx,
		runs:   make([]ctrRun, len(t.specs)),
		events: make(chan ctrEvent, len(t.specs)),
		done:   make(chan struct{}),
	}
	now := time.Now()
	for i := range sv.runs {
		if d := t.specs[i].startTimeout; d > 0 {
			sv.runs[i].deadline = now.Add(d)
		}
	}
	stopCh, closeCh := t.stopCh, s.closeCh
	for {
		sv.startReady()
		if sv.finished() {
			break
		}
		var deadline <-chan time.Time
		var timer *time.Timer
		if d, ok := sv.nextDeadline(); ok {
			timer = time.NewTimer(time.Until(d))
			deadline = timer.C
		}
		select {
		case e := <-sv.events:
			sv.apply(e)
		case <-stopCh:
			stopCh = nil
			sv.terminate(0)
		case <-closeCh:
			closeCh = nil
			s.mu.Lock()
			s.requestStopLocked(t, types.TaskStopCodeTerminationNotice, reasonShutdown)
			s.mu.Unlock()
			sv.terminate(closeGrace)
		case <-deadline:
		}
		if timer != nil {
			timer.Stop()
		}
	}
	close(sv.done)
	sv.wg.Wait()
}

// finished reports whether no container runs or waits any more.
func (sv *supervisor) finished() bool {
	for _, r := range sv.runs {
		if r.state == ctrWaiting || r.state == ctrRunning {
			return false
		}
	}
	return true
}

// nextDeadline is the earliest startTimeout of a waiting container.
func (sv *supervisor) nextDeadline() (time.Time, bool) {
	var next time.Time
	for _, r := range sv.runs {
		if r.state == ctrWaiting && !r.deadline.IsZero() && (next.IsZero() || r.deadline.Before(next)) {
			next = r.deadline
		}
	}
	return next, !next.IsZero()
}

// startReady starts every waiting container whose conditions are met and
// gives up on those whose conditions cannot be met any more, until nothing
// changes; then, once no container waits, it reports the task RUNNING.
func (sv *supervisor) startReady() {
	for changed := true; changed; {
		changed = false
		for i := range sv.runs {
			if sv.runs[i].state != ctrWaiting {
				continue
			}
			sv.s.mu.Lock()
			stopping := sv.t.stopping
			sv.s.mu.Unlock()
			if stopping {
				sv.runs[i].state = ctrNeverStarted
				changed = true
				continue
			}
			ready, blocked := dependencyVerdict(sv.t.specs, sv.runs, i, time.Now())
			switch {
			case blocked != "":
				sv.giveUp(i, blocked)
				changed = true
			case ready:
				sv.start(i)
				changed = true
			}
		}
	}
	sv.markRunning()
}

// giveUp records that container i will never start; an essential one
// stops the task, which has not run yet, with TaskFailedToStart.
func (sv *supervisor) giveUp(i int, reason string) {
	sv.runs[i].state = ctrNeverStarted
	s, t := sv.s, sv.t
	s.mu.Lock()
	defer s.mu.Unlock()
	t.t.Containers[i].Reason = ptr(reason)
	t.t.Containers[i].LastStatus = ptr(statusStopped)
	t.t.Version++
	if t.specs[i].essential {
		s.requestStopLocked(t, types.TaskStopCodeTaskFailedToStart, reason)
	}
}

// start creates and starts container i, joining the network namespace of
// the task's running containers. A failure stops the task with
// TaskFailedToStart and kills the containers already running.
func (sv *supervisor) start(i int) {
	s, t, sp := sv.s, sv.t, &sv.t.specs[i]
	var peers []string
	for _, j := range sv.order {
		if sv.runs[j].state == ctrRunning {
			peers = append(peers, sv.runs[j].c.runtimeID())
		}
	}
	s.mu.Lock()
	runtimeID := str(t.t.Containers[i].RuntimeId)
	s.mu.Unlock()
	c, err := s.rt.create(sv.ctx, &createRequest{
		taskID: t.id, taskARN: str(t.t.TaskArn), family: t.family,
		spec: sp, runtimeID: runtimeID, peers: peers,
	})
	if err != nil {
		sv.failStart(i, cannotStartPrefix+err.Error())
		return
	}
	sink, err := s.logSink(t.id, sp, c.runtimeID())
	if err != nil {
		c.remove()
		sv.failStart(i, err.Error())
		return
	}
	health := func(h types.HealthStatus) {
		select {
		case sv.events <- ctrEvent{index: i, health: h}:
		case <-sv.done:
		}
	}
	if err := c.start(sv.ctx, sink, health); err != nil {
		c.remove()
		sv.failStart(i, cannotStartPrefix+err.Error())
		return
	}
	r := &sv.runs[i]
	r.state, r.c, r.startedAt = ctrRunning, c, time.Now()
	if sp.healthCheck != nil {
		r.health = types.HealthStatusUnknown
	}
	sv.order = append(sv.order, i)
	s.mu.Lock()
	ct := &t.t.Containers[i]
	ct.RuntimeId = ptr(c.runtimeID())
	ct.LastStatus = ptr(statusRunning)
	if sp.healthCheck != nil {
		ct.HealthStatus = types.HealthStatusUnknown
		t.t.HealthStatus = taskHealth(t.specs, sv.runs)
	}
	t.t.Version++
	s.mu.Unlock()
	sv.wg.Go(func() {
		res := c.wait()
		sv.events <- ctrEvent{index: i, exit: &res}
		c.drain()
		c.remove()
	})
}

// failStart records why container i did not start; unless the task was
// stopping anyway (which cancels a start in flight), the task stops with
// TaskFailedToStart and its running containers are killed.
func (sv *supervisor) failStart(i int, reason string) {
	sv.runs[i].state = ctrNeverStarted
	s, t := sv.s, sv.t
	s.mu.Lock()
	if t.stopping {
		s.mu.Unlock()
		return
	}
	t.t.Containers[i].Reason = ptr(reason)
	s.requestStopLocked(t, types.TaskStopCodeTaskFailedToStart, reason)
	s.mu.Unlock()
	for _, r := range sv.runs {
		if r.state == ctrRunning {
			r.c.kill()
		}
	}
}

// apply records a container's exit or health change.
func (sv *supervisor) apply(e ctrEvent) {
	s, t := sv.s, sv.t
	r := &sv.runs[e.index]
	if e.exit == nil {
		if r.state != ctrRunning {
			return // a report that raced the exit
		}
		r.health = e.health
		s.mu.Lock()
		t.t.Containers[e.index].HealthStatus = e.health
		t.t.HealthStatus = taskHealth(t.specs, sv.runs)
		t.t.Version++
		s.mu.Unlock()
		return
	}
	r.state, r.exit = ctrExited, *e.exit
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &t.t.Containers[e.index]
	c.LastStatus = ptr(statusStopped)
	c.ExitCode = ptr(int32(e.exit.code))
	if e.exit.oom {
		c.Reason = ptr(reasonOutOfMemory)
	}
	t.t.Version++
	if t.specs[e.index].essential {
		s.requestStopLocked(t, types.TaskStopCodeEssentialContainerExited, reasonEssentialExited)
	}
	if sv.finished() {
		t.t.ExecutionStoppedAt = ptr(time.Now())
	}
}

// markRunning reports the task RUNNING once no container waits, unless a
// stop was requested first.
func (sv *supervisor) markRunning() {
	if sv.marked {
		return
	}
	for _, r := range sv.runs {
		if r.state == ctrWaiting {
			return
		}
	}
	sv.marked = true
	s, t := sv.s, sv.t
	s.mu.Lock()
	running := !t.stopping
	if running {
		t.t.LastStatus = ptr(statusRunning)
		t.t.StartedAt = ptr(time.Now())
		setAttachmentStatus(&t.t, "ATTACHED")
		t.t.Version++
	}
	s.mu.Unlock()
	if running {
		s.log.Info("task running", "task", str(t.t.TaskArn), "family", t.family, "runtime", s.rt.Name())
	}
}

// terminate sends SIGTERM to every running container (once) and arranges
// SIGKILL after its stop timeout, capped at limit if > 0.
func (sv *supervisor) terminate(limit time.Duration) {
	now := time.Now()
	for i, r := range sv.runs {
		if r.state != ctrRunning {
			continue
		}
		timeout := sv.t.specs[i].stopTimeout
		if timeout == 0 {
			timeout = sv.s.opts.StopTimeout
		}
		if limit > 0 {
			timeout = min(timeout, limit)
		}
		r.c.stop(now.Add(timeout))
	}
}
