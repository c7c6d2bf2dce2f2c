"""Sentiment reports: per article and across the site, as pages, charts, CSV/JSON and HTML.

- :mod:`.filters`: the date range and site a report covers.
- :mod:`.sql`: the few SQL expressions each database words differently.
- :mod:`.buckets`: folding UTC time buckets into local hours and days.
- :mod:`.queries`: the aggregations, all in SQL, on SQLite and PostgreSQL alike.
- :mod:`.tables`: report tables (named columns and rows), what pages, exports and charts share.
- :mod:`.charts`: Vega-Altair charts rendered to SVG on the server (vl-convert, offline).
- :mod:`.export`: CSV and JSON of any report table.
- :mod:`.standalone`: one self-contained HTML file, charts embedded, for mailing.
- :mod:`.cli`: ``moderation report``.

The web pages are in :mod:`moderation.web.reports`.
"""
