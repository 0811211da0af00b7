# Elasticsearch for `docker compose up`: Elastic's image with Elastic's language plugins that the
# articles template names (smartcn for Chinese, kuromoji for Japanese, nori for Korean, ukrainian).
# The local node (scripts/elasticsearch) has the same analyzers under the same names from our
# newsmon-analysis plugin, so one template serves both. The plugins come from Elastic's download
# site at build time, each matching the image's version.
FROM docker.elastic.co/elasticsearch/elasticsearch:8.14.3
RUN bin/elasticsearch-plugin install --batch analysis-smartcn analysis-kuromoji analysis-nori analysis-ukrainian
