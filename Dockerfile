# syntax=docker/dockerfile:1
# Build a static binary; templ output and the static files' compressed forms
# are committed, so no generator is needed. nomsgpack leaves out gin's
# MessagePack codec (3.3 MB of code the app never uses; e2e/build_test.go).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git is not in the build context: pass the commit for "hpp version",
#   docker build --build-arg HPP_REVISION=$(git rev-parse HEAD) -t hpp .
ARG HPP_REVISION=unknown
RUN CGO_ENABLED=0 go build -trimpath -tags nomsgpack -ldflags="-s -w -X github.com/latipay-hpp/hpp/config/cli.Revision=${HPP_REVISION}" -o /out/hpp . && mkdir -p /out/data

# Minimal runtime: no shell, non-root, a volume for the SQLite database
# (and, with HTTPS in the container, the ACME certificates in /data/acme).
# Plain HTTP on :8080 by default, behind your proxy. HTTPS with no proxy:
#   Let's Encrypt:  -p 80:80 -p 443:443 -e HPP_ADDR=:443 -e HPP_PUBLIC_URL=https://pay.example.com \
#                   -e HPP_ACME_EMAIL=ops@example.com
#   own files:      -p 80:80 -p 443:443 -e HPP_ADDR=:443 -e HPP_PUBLIC_URL=https://pay.example.com \
#                   -v /etc/hpp/tls:/tls:ro -e HPP_TLS_CERT_FILE=/tls/fullchain.pem -e HPP_TLS_KEY_FILE=/tls/privkey.pem
# HPP_HTTP_ADDR (the redirect and HTTP-01) is :80 then; Docker lets a non-root
# process bind both. The HEALTHCHECK follows HPP_ADDR and HPP_TLS.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hpp /hpp
COPY --from=build --chown=65532:65532 /out/data /data
ENV HPP_ADDR=:8080 HPP_DATABASE=/data/hpp.db
EXPOSE 8080 443 80
VOLUME ["/data"]
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s CMD ["/hpp", "healthcheck"]
ENTRYPOINT ["/hpp"]
