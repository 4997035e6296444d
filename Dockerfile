# syntax=docker/dockerfile:1
# Build a static binary; templ output is committed, so no generator is needed.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hpp . && mkdir -p /out/data

# Minimal runtime: no shell, non-root, a volume for the SQLite database.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hpp /hpp
COPY --from=build --chown=65532:65532 /out/data /data
ENV HPP_ADDR=:8080 HPP_DATABASE=/data/hpp.db
EXPOSE 8080
VOLUME ["/data"]
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s CMD ["/hpp", "healthcheck"]
ENTRYPOINT ["/hpp"]
