# One image for the worker, the starter, the codec server and the Sales
# stand-in. They are one Go module built in one `go build`, so they share
# every layer and the build cache, and the worker and the starter, which must
# agree on workflow, signal and search attribute names, always ship from the
# same commit. Each compose service picks its binary with `entrypoint`. The
# stand-in (development only) adds a few MB.
#
#   docker build -t partner-onboarding:dev .

# The Go release go.mod names. CGO is off: the SQLite driver is pure Go, so
# the binaries are static and need no libc in the final image.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/bin/ ./worker ./starter ./standin ./codecserver ./deploy/healthcheck
# The stand-in keeps its records under /data; a named volume mounted there
# starts out owned by the image's user.
RUN mkdir -p /out/data/standin

# Distroless static: CA certificates and time zones, no shell, no package
# manager. healthcheck (deploy/healthcheck) answers compose's health checks.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/data /data
# nonroot, by number, so that a runtime that checks runAsNonRoot can tell.
USER 65532:65532
