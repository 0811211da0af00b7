"""`newsmon web`: the search page for analysts, standalone (uvicorn) or mounted in the Airflow UI.

`app` builds the FastAPI application, `page` asks Elasticsearch for everything one page shows,
`chart` draws the stories-per-day chart as SVG, `cli` wires the command. Importing this package
imports nothing heavy, so the CLI stays quick.
"""
