#!/bin/sh
# The image's entry point (and what tests/backup runs): serve the academy,
# under Litestream when a bucket is configured.
#
#   no arguments      serve; with LITESTREAM_BUCKET set, Litestream restores
#                     a missing data.db/auxiliary.db from the bucket first
#                     (a new machine or an empty volume), then replicates
#                     both while it runs the server as its child (-exec), and
#                     stops when the server stops
#   arguments         run the academy binary with them instead, e.g.
#                     superuser upsert you@example.com 'a-long-password' --dir /pb/pb_data
#
# Paths and the listen address may be changed through the environment
# (ACADEMY_BIN, ACADEMY_DATA_DIR, ACADEMY_HTTP, LITESTREAM_CONFIG); they
# must not contain spaces (Litestream splits -exec on them).
set -eu

bin=${ACADEMY_BIN:-/pb/cedarheights}
data=${ACADEMY_DATA_DIR:-/pb/pb_data}
http=${ACADEMY_HTTP:-0.0.0.0:8090}
config=${LITESTREAM_CONFIG:-/etc/litestream.yml}

if [ "$#" -gt 0 ]; then
	exec "$bin" "$@"
fi

if [ -z "${LITESTREAM_BUCKET:-}" ]; then
	echo "entrypoint: LITESTREAM_BUCKET is not set: serving WITHOUT continuous backups" >&2
	exec "$bin" serve --http "$http" --dir "$data"
fi

# litestream.yml names the databases through ACADEMY_DATA_DIR.
export ACADEMY_DATA_DIR="$data"
exec "${LITESTREAM_BIN:-litestream}" replicate -config "$config" -restore-if-db-not-exists \
	-exec "$bin serve --http $http --dir $data"
