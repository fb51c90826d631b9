# syntax=docker/dockerfile:1
#
# temporal-ecs worker image.
#   docker build -t temporal-ecs-worker .                      # production: distroless, no shell
#   docker build --target worker-local -t temporal-ecs-local . # --local-ecs: tasks run as processes, needs a shell
# Both stages run as a non-root user and hold the static worker and starter binaries.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/ ./worker ./starter

# worker-local runs the worker with --local-ecs (docker-compose profile
# "local"): the local ECS endpoint starts task containers as host processes,
# so this image keeps a shell and busybox for their commands.
FROM alpine:3.20 AS worker-local
RUN adduser -D -H -u 10001 worker
COPY --from=build /out/worker /out/starter /usr/local/bin/
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/worker"]
CMD ["--local-ecs=0.0.0.0:4599"]

# worker (the default target) runs against real AWS, as the distroless
# "nonroot" user (uid 65532): files it reads, such as a mounted AWS profile,
# must be readable by that uid (docker-compose.yml tells how).
FROM gcr.io/distroless/static-debian12:nonroot AS worker
COPY --from=build /out/worker /out/starter /usr/local/bin/
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/worker"]
