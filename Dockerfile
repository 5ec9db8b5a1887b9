# One image for every Ledgerflow process; the command picks the role
# (`api`, `worker`, `dispatcher`, `migrate`, `doctor`), as docker-compose.yml shows.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY config ./config
COPY domain ./domain
COPY storage ./storage
COPY activities ./activities
COPY workflows ./workflows
COPY api ./api
COPY workers ./workers
RUN pip install --no-cache-dir . && useradd --system ledgerflow
USER ledgerflow
ENV API_HOST=0.0.0.0
# The API; a worker's and the dispatcher's /metrics (WORKER_METRICS_PORT, DISPATCHER_METRICS_PORT).
EXPOSE 8080 9464 9465
ENTRYPOINT ["python", "-m", "workers"]
CMD ["api"]
