# syntax=docker/dockerfile:1

# Build stage: one static binary. Migrations, seeds and the OpenAPI document
# are embedded in it; only the workflow definitions stay outside, so that they
# can be reviewed and replaced without a rebuild (WORKFLOWS_DIR).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -o /out/caseflow ./cmd/caseflow

# Runtime stage.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 caseflow \
    && useradd --system --uid 10001 --gid caseflow --home-dir /app --no-create-home --shell /usr/sbin/nologin caseflow
WORKDIR /app
COPY --from=build /out/caseflow /app/caseflow
COPY workflows/ /app/workflows/
ENV HTTP_ADDR=0.0.0.0:8080 \
    WORKFLOWS_DIR=/app/workflows
USER caseflow:caseflow
EXPOSE 8080
ENTRYPOINT ["/app/caseflow"]
CMD ["serve"]
