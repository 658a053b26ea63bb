"""What Headwind tells people about an update, and how an approver answers from a message.

Pure: the event model (`content`), one renderer per sink (`slack` Block Kit, `teams` Adaptive
Card, `webhook` JSON and its HMAC), per-workload routing (`routing`) and signed approval links
(`links`). Sending lives in `clients.notify`; the activity that ties both is
`activities.notifying`.
"""
