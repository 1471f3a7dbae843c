# The hub's API server. Neo4j runs in its own container (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HUB_ENV=production HUB_HOST=0.0.0.0 HUB_PORT=8000 HUB_STATE_DIR=/var/lib/credit-hub
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements/runtime.lock ./requirements/
COPY hub ./hub
COPY connectors ./connectors
# hub/_data links to these; the wheel copies them into the package.
COPY schema ./schema
COPY policies ./policies
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.lock \
 && pip install --no-cache-dir --no-deps . && useradd --system --uid 10001 hub \
 && mkdir -p /var/lib/credit-hub && chown hub /var/lib/credit-hub \
 && rm -rf /app/hub /app/connectors  # run the installed package, not the sources
# Signing keys, the access log and state: a volume the non-root user can write.
VOLUME /var/lib/credit-hub
USER hub
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["hub", "serve"]
