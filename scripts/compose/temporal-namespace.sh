#!/bin/sh
# Waits until the Temporal server answers, then creates the namespace the
# workers use (TEMPORAL_NAMESPACE, default "default") unless it exists.
#
# Run by the one-shot docker-compose service temporal-namespace, in the
# temporalio/admin-tools image; the temporal CLI reads TEMPORAL_ADDRESS.
set -eu

namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-72h}
deadline=$(($(date +%s) + ${TEMPORAL_WAIT_SECONDS:-120}))

until temporal operator cluster health >/dev/null 2>&1; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "temporal-namespace: $TEMPORAL_ADDRESS is not healthy after ${TEMPORAL_WAIT_SECONDS:-120}s" >&2
		temporal operator cluster health >&2 || true
		exit 1
	fi
	sleep 1 # poll interval
done

if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
	echo "temporal-namespace: namespace $namespace exists"
	exit 0
fi
# Another run may create it meanwhile: describing it again settles that.
temporal operator namespace create --namespace "$namespace" --retention "$retention" ||
	temporal operator namespace describe --namespace "$namespace" >/dev/null
echo "temporal-namespace: namespace $namespace ready (retention $retention)"
