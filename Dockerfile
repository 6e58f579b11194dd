# One image for every process of the stack (API, worker, beat, Flower); see docker-compose.yml.
FROM python:3.11-slim
WORKDIR /srv/c360
# the runtime only: no embedded services (so no compiler), real servers come from compose
COPY pyproject.toml setup.cfg README.md gunicorn.conf.py ./
COPY app ./app
COPY tasks ./tasks
COPY connectors ./connectors
COPY migrations ./migrations
RUN pip install --no-cache-dir . && mkdir -p celerybeat-schedule /data
ENV C360_HOME=/data
EXPOSE 8000 5555
CMD ["gunicorn", "app:create_app()", "--bind", "0.0.0.0:8000", "--workers", "2"]
