"""ASGI app: webhook receiver, health, metrics, status page."""
