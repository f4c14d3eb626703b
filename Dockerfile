# The bot in a container: `docker compose up` (see compose.yaml) or
#   docker build -t medcoder-bot . && docker run --rm -e DISCORD_TOKEN=... -v medcoder-data:/data medcoder-bot
#
# Stage 1 builds the wheel (the knowledge base ships inside it, in bot/knowledge); stage 2 installs
# only that wheel and its runtime dependencies on a slim base and runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MEDCODER_DB=/data/medcoder.db \
    MEDCODER_LOG_FORMAT=json
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
 && rm -rf /wheels \
 && useradd --system --uid 10001 --create-home medcoder \
 && mkdir /data \
 && chown medcoder /data
USER medcoder
WORKDIR /home/medcoder
VOLUME ["/data"]
# With MEDCODER_METRICS_PORT=9100 and MEDCODER_METRICS_HOST=0.0.0.0: GET /healthz and /metrics.
EXPOSE 9100
CMD ["medcoder-bot", "run"]
