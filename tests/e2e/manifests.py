"""Small workload manifests for the e2e tests, as plain dicts (what users write in YAML)."""

from __future__ import annotations

from typing import Any

__all__ = ["cronjob", "daemonset", "deployment", "pod_template", "statefulset"]

Manifest = dict[str, Any]


def pod_template(app: str, image: str) -> Manifest:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {
            "containers": [{"name": "main", "image": image}],
            # kwok deletes pods at once anyway; zero keeps real-cluster semantics obvious.
            "terminationGracePeriodSeconds": 0,
        },
    }


def deployment(name: str, image: str, replicas: int = 3) -> Manifest:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name, image),
        },
    }


def statefulset(name: str, image: str, replicas: int = 2) -> Manifest:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name, image),
        },
    }


def daemonset(name: str, image: str) -> Manifest:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name, image),
        },
    }


def cronjob(name: str, image: str) -> Manifest:
    template = pod_template(name, image)
    template["spec"]["restartPolicy"] = "Never"
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": "0 0 1 1 *",
            # The test triggers a Job by hand (as `kubectl create job --from=cronjob/...`);
            # waiting for a schedule would take up to a minute.
            "suspend": True,
            "jobTemplate": {"spec": {"backoffLimit": 0, "template": template}},
        },
    }
