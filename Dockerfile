# Multi-stage build: compile with the full Rust toolchain, run from a small Debian image as a
# non-root user. The SQLite database lives in the /data volume.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY config config
COPY assets assets
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
# DISCORD_TOKEN must be supplied at run time (docker run -e DISCORD_TOKEN=… or a secret).
ENTRYPOINT ["briefing-bot"]
CMD ["run"]
