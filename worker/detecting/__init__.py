"""The Kubernetes side of detection: watch annotated workloads into the image index.

`detecting(...)` runs it for a process; `Leadership` is how once-per-cluster work (pollers)
starts and stops with the leader Lease. See ARCHITECTURE.md, "Detection".
"""

from worker.detecting.detector import Detector
from worker.detecting.leadership import Leadership
from worker.detecting.running import DetectorHandle, detecting

__all__ = ["Detector", "DetectorHandle", "Leadership", "detecting"]
