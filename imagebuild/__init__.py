"""Assembles Headwind's container image from layer archives, without a container engine.

`scripts/build-image` makes the layers (a Debian root filesystem from `mmdebstrap`, then
Headwind's virtual environment) as reproducible tar archives; this package turns them into an
OCI image layout: content-addressed blobs, the image configuration, the manifest and the
index. Everything written is a function of its inputs, so the same layers and settings give
the same manifest digest on any machine. It is a build tool: the wheel does not ship it.
"""
