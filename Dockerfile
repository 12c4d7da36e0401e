# syntax=docker/dockerfile:1
# Multi-stage build: a static binary (PocketBase uses a pure-Go SQLite) on a
# small non-root runtime image. Data lives in the /pb/pb_data volume; with
# LITESTREAM_BUCKET set, Litestream replicates it to S3-compatible storage
# and restores it on an empty volume (deploy/entrypoint.sh,
# deploy/litestream.yml). .dockerignore keeps pb_data, node_modules and .git
# out of the build context. tests/deploy builds the binary with the exact
# `go build` line below and runs it as a non-root user.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
# Litestream's CLI is pure Go too (modernc SQLite).
RUN CGO_ENABLED=0 GOBIN=/out go install github.com/benbjohnson/litestream/cmd/litestream@v0.5.18
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cedarheights .

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /pb academy \
 && mkdir -p /pb/pb_data \
 && chown -R academy /pb
WORKDIR /pb
COPY --from=build /out/litestream /usr/local/bin/litestream
COPY --from=build /out/cedarheights /pb/cedarheights
COPY deploy/litestream.yml /etc/litestream.yml
COPY deploy/entrypoint.sh /usr/local/bin/academy-entrypoint
COPY pb_public /pb/pb_public
USER academy
VOLUME /pb/pb_data
EXPOSE 8090
ENV ACADEMY_PUBLIC_DIR=/pb/pb_public \
    ACADEMY_DATA_DIR=/pb/pb_data
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8090/health || exit 1
# No arguments: serve (under Litestream when LITESTREAM_BUCKET is set).
# Arguments run the binary instead, e.g.
#   docker compose exec app academy-entrypoint superuser upsert you@example.com 'pw' --dir /pb/pb_data
ENTRYPOINT ["/usr/local/bin/academy-entrypoint"]
