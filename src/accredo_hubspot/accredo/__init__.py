"""Client for Accredo's Web Service API (OData 4 over HTTPS, OAuth 2.0 password grant)."""
