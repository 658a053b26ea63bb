"""Process entry points: the CLI, the Temporal worker, the watchers, the local environment."""
