"""Local simulators of the Accredo Web Service and HubSpot CRM APIs.

Product code (the demo runs on them), kept apart: the connector never imports this package.
"""
