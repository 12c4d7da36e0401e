# syntax=docker/dockerfile:1
# Multi-stage build: a static binary (PocketBase uses a pure-Go SQLite) on a
# small non-root runtime image. Data lives in the /pb/pb_data volume.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
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
COPY --from=build /out/cedarheights /pb/cedarheights
COPY pb_public /pb/pb_public
USER academy
VOLUME /pb/pb_data
EXPOSE 8090
ENV ACADEMY_PUBLIC_DIR=/pb/pb_public
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8090/health || exit 1
CMD ["/pb/cedarheights", "serve", "--http", "0.0.0.0:8090", "--dir", "/pb/pb_data"]
