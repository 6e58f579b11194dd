# The runtime image, one for every process of the stack (API, worker, beat, Flower): the
# Enterprise Brain only, with no embedded services (so no compiler) and no demo source systems.
FROM python:3.11-slim AS runtime
WORKDIR /srv/c360
COPY pyproject.toml setup.cfg README.md gunicorn.conf.py ./
COPY app ./app
COPY tasks ./tasks
COPY connectors ./connectors
COPY migrations ./migrations
RUN pip install --no-cache-dir . && mkdir -p celerybeat-schedule /data
ENV C360_HOME=/data
EXPOSE 8000 5555
CMD ["gunicorn", "app:create_app()", "--bind", "0.0.0.0:8000", "--workers", "2"]

# The demo source systems on top (`c360 sources create`, `c360 demo`): docker-compose's setup
# service builds this target; nothing else does.
FROM runtime AS sandbox
COPY sandbox ./sandbox
RUN pip install --no-cache-dir ./sandbox
