# The connector alone: no simulators, no test tools. See README, "Operating it".
#   docker build -t accredo-hubspot .
#   docker run --rm --env-file accredo-hubspot.env -p 127.0.0.1:8400:8400 \
#       -v accredo-hubspot-state:/var/lib/accredo-hubspot accredo-hubspot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only the connector's package: the simulators (src/sims) and their Faker extra stay out.
WORKDIR /build
COPY pyproject.toml README.md LICENSE ./
COPY src/accredo_hubspot ./src/accredo_hubspot
# psycopg: the driver of a PostgreSQL state store (SQLite needs none).
RUN pip install . "psycopg[binary]>=3.1" \
    && rm -f /usr/local/bin/accredo-sim /usr/local/bin/hubspot-sim \
    && rm -rf /build

RUN useradd --system --uid 10001 --user-group --create-home \
        --home-dir /var/lib/accredo-hubspot accredo-hubspot
USER accredo-hubspot
WORKDIR /var/lib/accredo-hubspot
VOLUME ["/var/lib/accredo-hubspot"]

# Published beyond the container's loopback, so run needs ACCREDO_HUBSPOT_STATUS_TOKEN
# (it refuses to start without one). The state store defaults to a file in the volume.
ENV ACCREDO_HUBSPOT_LISTEN=0.0.0.0:8400 \
    ACCREDO_HUBSPOT_DATABASE_URL=sqlite:////var/lib/accredo-hubspot/state.db \
    ACCREDO_HUBSPOT_LOG_FORMAT=json
EXPOSE 8400
HEALTHCHECK --interval=30s --timeout=5s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8400/healthz', timeout=4)"]

ENTRYPOINT ["accredo-hubspot"]
CMD ["run"]
