"""The endpoint classes: one module per Consul URL prefix (``/v1/<prefix>``)."""
