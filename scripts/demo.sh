#!/usr/bin/env bash
# make demo: the whole product on one machine, no AWS account needed.
#
# Starts the Temporal dev server (Web UI on :8233), the worker with its
# in-process local ECS endpoint (--local-ecs), runs `starter run` on a small
# shell task, shows its lines and exit code, and stops what it started.
#
#   DEMO_KEEP=1 make demo          keep the server and worker running (Ctrl-C stops them)
#   DEMO_RUNTIME=docker make demo  run the task from its image on the Docker engine
#                                  DOCKER_HOST names (default: a host process)
#
# Settings (environment): DEMO_TEMPORAL_PORT (7233), DEMO_UI_PORT (8233),
# DEMO_LOCAL_ECS_ADDR (127.0.0.1:4599), DEMO_DIR (.demo), DEMO_TIMEOUT (60 s
# for each process to get ready), DEMO_RUNTIME (process or docker),
# DEMO_IMAGE (alpine:3.20), GO (go).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
DEMO_DIR=${DEMO_DIR:-.demo}
TEMPORAL_PORT=${DEMO_TEMPORAL_PORT:-7233}
UI_PORT=${DEMO_UI_PORT:-8233}
LOCAL_ECS_ADDR=${DEMO_LOCAL_ECS_ADDR:-127.0.0.1:4599}
READY_TIMEOUT=${DEMO_TIMEOUT:-60}
KEEP=${DEMO_KEEP:-0}
RUNTIME=${DEMO_RUNTIME:-process}
IMAGE=${DEMO_IMAGE:-alpine:3.20}
ADDRESS=127.0.0.1:${TEMPORAL_PORT}

if [[ -t 2 ]]; then
	say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
else
	say() { printf '==> %s\n' "$*" >&2; }
fi

pids=()
build=
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [[ -n $build ]]; then
		kill -TERM "$build" 2>/dev/null || true
		wait "$build" 2>/dev/null || true
	fi
	if ((${#pids[@]})); then
		say "stopping the worker and the Temporal server"
		# Reverse order: the worker first, so it leaves no task running.
		for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
			kill -TERM "${pids[i]}" 2>/dev/null || true
			wait "${pids[i]}" 2>/dev/null || true
		done
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# wait_until DESCRIPTION PID LOG COMMAND...: poll COMMAND until it succeeds,
# failing when process PID dies or READY_TIMEOUT passes.
wait_until() {
	local what=$1 pid=$2 log=$3
	shift 3
	local deadline=$((SECONDS + READY_TIMEOUT))
	until "$@" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			say "$what exited; its log ($log):"
			tail -n 30 "$log" >&2
			return 1
		fi
		if ((SECONDS >= deadline)); then
			say "$what not ready after ${READY_TIMEOUT}s; its log ($log):"
			tail -n 30 "$log" >&2
			return 1
		fi
		sleep 0.2 # poll interval, not a synchronisation
	done
}

# Background processes get their own session, so that Ctrl-C in the terminal
# reaches only the starter (which then cancels its workflow through the
# still-running worker) and this script (which then stops them in order).
detach=()
command -v setsid >/dev/null 2>&1 && detach=(setsid)

mkdir -p "$DEMO_DIR/bin"

# The worker and the starter build (one go build, both binaries) while the
# Temporal CLI is located and the server starts.
say "building the worker and the starter"
$GO build -o "$DEMO_DIR/bin/" ./worker ./starter >"$DEMO_DIR/build.log" 2>&1 &
build=$!

# go tool -n builds the CLI on first use (minutes) and prints its cached path.
TEMPORAL=$($GO tool -modfile=tools/go.mod -n temporal)

say "starting the Temporal dev server on $ADDRESS (Web UI http://localhost:$UI_PORT)"
rm -f "$DEMO_DIR/temporal.db"
${detach[@]+"${detach[@]}"} "$TEMPORAL" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$UI_PORT" \
	--db-filename "$DEMO_DIR/temporal.db" --log-level warn \
	--search-attribute EcsTaskArn=Keyword --search-attribute EcsCluster=Keyword --search-attribute EcsImage=Keyword \
	--search-attribute EcsPhase=Keyword --search-attribute EcsStopCode=Keyword --search-attribute EcsExitCode=Int \
	>"$DEMO_DIR/server.log" 2>&1 &
server=$!
pids+=("$server")

if ! wait "$build"; then
	build=
	say "building the worker and the starter failed:"
	cat "$DEMO_DIR/build.log" >&2
	exit 1
fi
build=
wait_until "the Temporal server" "$server" "$DEMO_DIR/server.log" \
	"$TEMPORAL" operator cluster health --address "$ADDRESS"

# The local ECS endpoint accepts these credentials: the starter signs with
# them to read the task's CloudWatch logs from it.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN TEMPORAL_PROFILE TEMPORAL_API_KEY
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret
export AWS_ENDPOINT_URL=http://$LOCAL_ECS_ADDR AWS_EC2_METADATA_DISABLED=true
export TEMPORAL_ADDRESS=$ADDRESS TEMPORAL_NAMESPACE=default

say "starting the worker with a local ECS endpoint on $LOCAL_ECS_ADDR (runtime: $RUNTIME)"
${detach[@]+"${detach[@]}"} "$DEMO_DIR/bin/worker" --local-ecs="$LOCAL_ECS_ADDR" --local-ecs-runtime="$RUNTIME" \
	--job-defaults scripts/demo-job-defaults.json >"$DEMO_DIR/worker.log" 2>&1 &
pids+=($!)
wait_until "the worker" "$!" "$DEMO_DIR/worker.log" grep -q "worker started" "$DEMO_DIR/worker.log"

# A task that takes a few seconds, so that its lines are seen arriving.
script='for i in 1 2 3; do echo "line $i"; sleep 1; done'
say "starter run --image $IMAGE -- sh -c '$script'"
set +e
"$DEMO_DIR/bin/starter" run --image "$IMAGE" -- sh -c "$script"
code=$?
set -e
say "the task exited with code $code (worker log: $DEMO_DIR/worker.log)"

if [[ $KEEP == 1 ]]; then
	cat >&2 <<-MSG

	The Temporal server and the worker keep running; Ctrl-C stops them.
	  Web UI:    http://localhost:$UI_PORT/namespaces/default/workflows
	  Try:       export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_REGION=$AWS_REGION \\
	                    AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY TEMPORAL_ADDRESS=$ADDRESS
	             $DEMO_DIR/bin/starter run --image $IMAGE -- sh -c 'echo hello; exit 3'
	             $GO tool -modfile=tools/go.mod temporal workflow list --address $ADDRESS
	MSG
	wait "${pids[@]}" || true
fi
exit "$code"
