"""The FastAPI application: webhooks, REST, web UI, metrics."""
