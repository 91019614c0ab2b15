# Sẵn sàng: the ward's Telegram bot. Build: docker build -t sansang .
# Run:   docker run -d --restart unless-stopped --env-file .env -v sansang-data:/data sansang
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SANSANG_DB=/data/sansang.sqlite3

# The wheel carries content/, broadcasts/ and db/migrations inside the package (see pyproject),
# so the sources are only needed to build it; the running image holds the installed package only.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY content ./content
COPY broadcasts ./broadcasts
COPY db ./db
RUN pip install /src \
    && rm -rf /src \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin sansang \
    && mkdir -p /data && chown sansang:sansang /data

WORKDIR /data
USER sansang
VOLUME ["/data"]
STOPSIGNAL SIGTERM
CMD ["sansang", "run"]
