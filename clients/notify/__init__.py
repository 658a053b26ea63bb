"""Connections to the places notifications go: Slack's Web API, Teams and generic webhooks.

`senders.open_senders` builds the configured ones once per process; `activities.notifying`
sends through them and the Slack interactivity route verifies and answers through `slack`.
Every send failure is a `SinkError` that says whether trying again can help.
"""
