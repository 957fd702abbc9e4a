# Multi-stage build: compile with the full Rust toolchain, run from a small Debian image as a
# non-root user. The SQLite database lives in the /data volume.
#
#   docker build -t briefing-bot .
#   docker run -d --name briefing-bot -e DISCORD_TOKEN=… -v briefing-data:/data briefing-bot
#
# Secrets come from the environment (or your orchestrator's secrets), never from the image.
FROM rust:1-bookworm AS build
WORKDIR /src
# The whole project (see .dockerignore): Cargo.toml names the tests and benchmarks, so cargo
# needs their files even to build only the binary.
COPY . .
RUN cargo build --release --locked --bin briefing-bot

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home briefing
COPY --from=build /src/target/release/briefing-bot /usr/local/bin/briefing-bot
USER briefing
WORKDIR /data
VOLUME ["/data"]
ENV DATABASE_URL=sqlite:///data/briefing.db
# /healthz and /metrics inside the container, for the health check below and for a Prometheus
# or orchestrator on the container network. Publish the port (-p) only to a private network:
# the endpoint has no authentication.
ENV BRIEFING__OPS__LISTEN=0.0.0.0:9187
EXPOSE 9187
# Healthy once the gateway is connected and the database answers (a standby container on the
# same shards reports unhealthy until it takes over; an orchestrator should restart on /livez,
# not on this).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["briefing-bot", "health"]
# DISCORD_TOKEN must be supplied at run time (docker run -e DISCORD_TOKEN=… or a secret).
ENTRYPOINT ["briefing-bot"]
CMD ["run"]
