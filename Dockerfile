# The one ComputeStream image: every service is `computestream <subcommand>` (the Helm chart
# runs it with `index`, `project`, `settle`, `serve`, `execute`, `migrate`, `topics`).
#
#   docker build -t computestream:0.1.0 .
#
# Base images are arguments so a registry mirror or a pinned digest can be used. (This
# repository's CI machine cannot pull images; the chart is checked offline instead, see
# helm/README.md.)
ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends zlib1g-dev cmake \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# sqlx checks its queries against the checked-in metadata (.sqlx), not a live database.
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never
RUN cargo build --release --locked -p computestream \
 && install -m 0755 target/release/computestream /usr/local/bin/computestream

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 computestream \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin computestream \
 && mkdir -p /var/lib/computestream && chown 10001:10001 /var/lib/computestream
COPY --from=build /usr/local/bin/computestream /usr/local/bin/computestream
USER 10001:10001
# gateway, x402 facilitator, executor x402 endpoint, metrics/health side port
EXPOSE 8080 8402 8403 9464
ENTRYPOINT ["computestream"]
CMD ["--help"]
