# Warroom in a container: a Rust builder stage, then a small Debian runtime that runs
# `warroom serve` as an unprivileged user. docs/DEPLOY.md ("In a container") explains it.
#
#   docker build -t warroom .
#   docker run --rm -p 8080:8080 -v warroom-data:/var/lib/warroom \
#     -v ./warroom.toml:/etc/warroom/warroom.toml:ro -v ./runbooks:/etc/warroom/runbooks:ro \
#     --env-file warroom.env warroom
#
# The image holds no configuration and no secret: the configuration and the runbooks are
# mounted, secrets come from the environment (WARROOM_SLACK__BOT_TOKEN, …).

FROM docker.io/library/rust:1-bookworm AS builder
WORKDIR /src
# The whole project except what .dockerignore leaves out (target/, .git/).
COPY . .
RUN cargo build --release --locked --bin warroom \
 && install -D -m 0755 target/release/warroom /out/warroom

FROM docker.io/library/debian:bookworm-slim
# ca-certificates for Slack, Matrix and the paging providers over HTTPS; curl for HEALTHCHECK.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/warroom --create-home warroom \
 && mkdir -p /etc/warroom/runbooks
COPY --from=builder /out/warroom /usr/local/bin/warroom
USER 10001:10001
WORKDIR /var/lib/warroom
# The mounted warroom.toml names the runbooks: runbook_dirs = ["/etc/warroom/runbooks"].
ENV WARROOM_CONFIG=/etc/warroom/warroom.toml \
    WARROOM_DATABASE_URL=sqlite:///var/lib/warroom/warroom.db
VOLUME ["/var/lib/warroom"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/warroom"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
