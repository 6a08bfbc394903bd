"""Accredo Web Service simulator."""
