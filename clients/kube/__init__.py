"""The one package that talks to Kubernetes (an import-linter contract keeps it that way)."""
