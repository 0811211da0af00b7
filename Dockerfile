# Airflow image with newsmon installed, used by every Airflow service and by newsmon-setup in
# docker-compose.yml. DAGs, plugins and config/ are mounted at run time, not baked in.
FROM apache/airflow:3.3.2-python3.11

ARG AIRFLOW_VERSION=3.3.2

LABEL org.opencontainers.image.title="newsmon-airflow" \
      org.opencontainers.image.description="Apache Airflow 3.3.2 with the newsmon news-monitoring package" \
      org.opencontainers.image.licenses="Apache-2.0"

# The image's convention: Python packages are installed by the airflow user, never by root.
USER airflow
WORKDIR /opt/newsmon

COPY --chown=airflow:root pyproject.toml constraints.txt README.md ./
COPY --chown=airflow:root src/ ./src/

# constraints.txt is our own lock (pip freeze of a working Airflow 3.3.2 environment; the
# upstream constraint files can't be fetched here). A line naming newsmon itself would pin the
# package we are installing, so it is dropped. Naming apache-airflow keeps pip from moving the
# Airflow that the base image ships.
RUN grep -viE '^(-e[[:space:]]|newsmon([[:space:]]|=|@|$))' constraints.txt > /tmp/newsmon-constraints.txt \
 && pip install --no-cache-dir -c /tmp/newsmon-constraints.txt "apache-airflow==${AIRFLOW_VERSION}" . \
 && rm -f /tmp/newsmon-constraints.txt \
 && newsmon --help > /dev/null

WORKDIR /opt/airflow
