"""Reading Headwind's own metrics back over time from the database that collects them.

Prometheus and VictoriaMetrics answer PromQL on their query API; InfluxDB 1.x answers
InfluxQL on `/query` (fed by Prometheus `remote_write`). `queries` builds what is asked,
`answers` reads what comes back (both pure), `backends` holds the HTTP client: it identifies
and probes a backend and reads one metric over a span of time. The web UI's observability
page is the reader.
"""

from clients.timeseries.answers import AnswerError, Point
from clients.timeseries.backends import BackendError, Connection, Probe, Reading, connect
from clients.timeseries.queries import Kind, Metric, Span

__all__ = [
    "AnswerError",
    "BackendError",
    "Connection",
    "Kind",
    "Metric",
    "Point",
    "Probe",
    "Reading",
    "Span",
    "connect",
]
