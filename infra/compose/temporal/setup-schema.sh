#!/bin/sh
# Temporal's own PostgreSQL schema: the `temporal` (histories, shards, task queues) and `temporal_visibility`
# (workflow lists and search attributes) databases, created and brought to the server's schema version with the
# temporal-sql-tool of the same release. Safe to run again: an existing database is kept and only updated.
# docker-compose.yml runs it in the temporal-schema job (temporalio/admin-tools); the integration test
# test/integration/infra/temporal-server.test.ts runs this same file against the local stack's Postgres.
set -eu
: "${SQL_PLUGIN:=postgres12}"
: "${SQL_HOST:=temporal-db}"
: "${SQL_PORT:=5432}"
: "${SQL_USER:=temporal}"
: "${SQL_PASSWORD:=}"
: "${DBNAME:=temporal}"
: "${VISIBILITY_DBNAME:=temporal_visibility}"
: "${SCHEMA_DIR:=/etc/temporal/schema/postgresql/v12}"

tool() { temporal-sql-tool --plugin "$SQL_PLUGIN" --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" --pw "$SQL_PASSWORD" "$@"; }

for pair in "$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"; do
  db=${pair%%:*}
  dir=${pair#*:}
  # `create` keeps an existing database. The schema's version table is set up where there is none, then the
  # versioned steps of the release bring it up to date (none where it is).
  tool --db "$db" create
  if ! tool --db "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned" >/dev/null 2>&1; then
    tool --db "$db" setup-schema -v 0.0
    tool --db "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned"
  fi
  echo "database $db at the schema of $SCHEMA_DIR/$dir/versioned"
done
