#!/bin/sh
# Creates or upgrades Temporal's schemas on PostgreSQL: the default store
# (database temporal) and the visibility store (temporal_visibility).
#
# Run by the one-shot docker-compose service temporal-schema, in the
# temporalio/admin-tools image, before the server starts. temporal-sql-tool
# reads the connection from SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and
# SQL_PASSWORD. Every step is idempotent (an existing database is kept,
# setup-schema leaves a schema past version 0.0 alone, update-schema applies
# only the missing versions), so the script runs at each `docker compose up`
# and upgrades the schemas after TEMPORAL_VERSION is raised.
set -eu

schemas=/etc/temporal/schema/postgresql/v12

setup() { # setup DATABASE SCHEMA_KIND
	echo "temporal-schema: database $1 ($2 schema)"
	temporal-sql-tool --db "$1" create
	temporal-sql-tool --db "$1" setup-schema -v 0.0
	temporal-sql-tool --db "$1" update-schema -d "$schemas/$2/versioned"
}

setup "${TEMPORAL_DB:-temporal}" temporal
setup "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" visibility
echo "temporal-schema: done"
