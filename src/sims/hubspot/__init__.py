"""HubSpot CRM API simulator."""
