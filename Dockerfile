# keyscan in a container, for GitLab CI and other runners:
#
#   docker build -t keyscan .
#   docker run --rm -v "$PWD:/src" keyscan             # scans /src, the working directory
#   docker run --rm -v "$PWD:/src" keyscan --format json --fail-on high .
#
# Two stages: the builder compiles a static musl binary (rust on Alpine
# links musl statically by default); the final image is Alpine with that one
# binary and a non-root user. Alpine rather than scratch or distroless: GitLab
# CI runs a job's `script:` with the image's shell, which scratch lacks.
# keyscan needs nothing else at run time (git history is read in-process;
# --verify carries its own root certificates).

FROM rust:1-alpine AS builder
# ring compiles C; musl-dev holds the C library it links statically.
RUN apk add --no-cache musl-dev gcc
WORKDIR /build
COPY . .
# The registry and target caches survive between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked \
    && cp target/release/keyscan /usr/local/bin/keyscan \
    && /usr/local/bin/keyscan --version

FROM alpine:3
RUN adduser -D -H -u 10001 keyscan
COPY --from=builder /usr/local/bin/keyscan /usr/local/bin/keyscan
USER 10001:10001
WORKDIR /src
ENTRYPOINT ["keyscan"]
CMD ["."]
