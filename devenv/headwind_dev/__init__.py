"""`headwind dev`: a real local environment on one machine, for developers, demos and e2e tests.

A Temporal dev server, a Kubernetes control plane (etcd, kube-apiserver, controller-manager,
scheduler) with kwok's fake nodes, two OCI registries, a Helm repository, a notification
recorder and Headwind itself, all on loopback, with state, logs
and PID files in one directory. `environment` is the facade; `cli` the commands.
"""
