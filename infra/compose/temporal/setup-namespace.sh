#!/bin/sh
# The engine's namespace and the search attributes its mobility workflows set (infra/stack/temporal.ts,
# SEARCH_ATTRIBUTES), on a real Temporal server. Safe to run again: what exists is kept.
# docker-compose.yml runs it in the temporal-namespace job; test/integration/infra/temporal-server.test.ts runs
# this same file against a temporal-server built from the same release.
set -eu
: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${NAMESPACE:=default}"
: "${RETENTION:=90d}"
# "Name=Type Name=Type …"
: "${SEARCH_ATTRIBUTES:?the search attributes to register, as Name=Type separated by spaces}"

tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "Temporal at $TEMPORAL_ADDRESS is not serving"; exit 1; }
  sleep 2
done

temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --retention "$RETENTION"

# A namespace just created may take a moment to be served everywhere.
tries=0
until temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 30 ] || { echo "namespace $NAMESPACE is not served"; exit 1; }
  sleep 1
done
existing=$(temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" -o json)
for sa in $SEARCH_ATTRIBUTES; do
  name=${sa%%=*}
  type=${sa#*=}
  # Listed as "Name": "INDEXED_VALUE_TYPE_KEYWORD" (custom attributes; no system attribute has the engine's names).
  indexed=INDEXED_VALUE_TYPE_$(echo "$type" | tr '[:lower:]' '[:upper:]')
  if echo "$existing" | grep -Eq "\"$name\"[[:space:]]*:[[:space:]]*\"$indexed\""; then echo "search attribute $name exists"; continue; fi
  if echo "$existing" | grep -q "\"$name\""; then echo "search attribute $name exists with another type than $type: the engine's workflows cannot set it"; exit 1; fi
  temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --name "$name" --type "$type"
done
echo "namespace $NAMESPACE ready"
