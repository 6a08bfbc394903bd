"""accredo-hubspot: real-time two-way sync between Accredo and HubSpot CRM."""

__version__ = "0.1.0"
