# Sẵn sàng: the ward's Telegram bot. Build: docker build -t sansang .
# Run:   docker run -d --restart unless-stopped --env-file .env -v sansang-data:/data sansang
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SANSANG_DB=/data/sansang.sqlite3 \
    SANSANG_CONTENT=/app/content

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY content ./content
COPY broadcasts ./broadcasts
COPY db ./db
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin sansang \
    && mkdir -p /data && chown sansang:sansang /data

USER sansang
VOLUME ["/data"]
STOPSIGNAL SIGTERM
CMD ["sansang", "run"]
