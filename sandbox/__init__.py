"""The demo source systems, kept apart from the runtime: their DDL (sql/), sample data and
creation (sources), the live-activity simulator, the population generator, the accuracy harness
that drives them through the real pipeline, and the demo scenario. A distribution of its own
(pyproject.toml here), installed by `make`; the API, the worker and the Docker image never
import it (import-linter checks that in `make lint`)."""
