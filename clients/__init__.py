"""Every outbound connection of Headwind, and the only package that imports their libraries.

`kube` (the Kubernetes API: JSON client, list+watch, leases, Events), `oci` (OCI Distribution
registries, read path), `charts` (Helm repositories), `credentials` (registry credentials from
pull secrets), `temporal` (connecting, starting and deciding update workflows). Activities,
the API and the processes hold instances of these clients; tests inject fakes.
"""
