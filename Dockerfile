# syntax=docker/dockerfile:1
#
# The sequencer binary (serve, worker, migrate, tools) in a minimal image.
#   docker build -t cartesi/sequencer .
#   docker run --rm cartesi/sequencer help
# docker-compose.yml runs it as `serve`, `worker` and the one-shot
# `dev deploy`. Configuration is SEQ_* environment (docs/operations.md).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# Pure Go (go-ethereum falls back to its Go secp256k1), so the binary is
# static and runs on distroless/static.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/sequencer ./cmd/sequencer

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sequencer /usr/local/bin/sequencer
USER nonroot:nonroot
# Public API and feed; operator routes and /metrics. Inside a container bind
# them on all interfaces (SEQ_HTTP_ADDR=0.0.0.0:3000, SEQ_INTERNAL_HTTP_ADDR=0.0.0.0:3001).
EXPOSE 3000 3001
ENTRYPOINT ["/usr/local/bin/sequencer"]
CMD ["serve"]
