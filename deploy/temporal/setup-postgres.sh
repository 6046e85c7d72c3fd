#!/bin/sh
# Creates Temporal's two databases on PostgreSQL and brings their schemas up
# to the version this admin-tools image ships, the way temporalio/samples-server
# does. Each step is idempotent (create skips a database that exists,
# setup-schema a schema past 0.0, update-schema the versions applied), so the
# job succeeds on every `docker compose up` and upgrades the schema after an
# image bump.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
port="${DB_PORT:-5432}"
schemas=/etc/temporal/schema/postgresql/v12

sql() {
	temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" "$@"
}

# setup DATABASE SCHEMA: SCHEMA is temporal or visibility.
setup() {
	sql --db "$1" create
	sql --db "$1" setup-schema -v 0.0
	sql --db "$1" update-schema -d "$schemas/$2/versioned"
	echo "Database $1 is current"
}

setup temporal temporal
setup temporal_visibility visibility
