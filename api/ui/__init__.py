"""The web UI: server-rendered pages for approvers and workload owners (Jinja2 and htmx)."""
