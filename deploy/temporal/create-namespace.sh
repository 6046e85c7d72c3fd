#!/bin/sh
# Creates the project's namespace and search attributes once Temporal answers.
# Safe to run again: a namespace that exists is left as it is, and creating a
# search attribute that exists with the same type succeeds (server 1.29).
set -eu
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${SEARCH_ATTRIBUTES:?}"
retention="${NAMESPACE_RETENTION:-3d}"

# retry runs its arguments until they succeed, for about a minute: Temporal's
# frontend answers before every service has joined, and a new namespace takes
# a few seconds to reach the namespace cache.
retry() {
	attempt=1
	until "$@"; do
		if [ "$attempt" -ge 30 ]; then
			echo "Giving up: $*" >&2
			return 1
		fi
		attempt=$((attempt + 1))
		sleep 2
	done
}

namespace() {
	temporal operator namespace describe --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
		temporal operator namespace create --namespace "$NAMESPACE" --retention "$retention" --address "$TEMPORAL_ADDRESS"
}

retry temporal operator cluster health --address "$TEMPORAL_ADDRESS"
retry namespace
echo "Namespace $NAMESPACE is there"

# SEARCH_ATTRIBUTES is a space-separated list of Name=Type.
for attribute in $SEARCH_ATTRIBUTES; do
	name="${attribute%%=*}"
	type="${attribute#*=}"
	retry temporal operator search-attribute create --namespace "$NAMESPACE" \
		--name "$name" --type "$type" --address "$TEMPORAL_ADDRESS"
	echo "Search attribute $name ($type) is there"
done
