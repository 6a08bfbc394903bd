"""Client for HubSpot's CRM API (v3 objects, v4 associations, properties, schemas, webhooks)."""
