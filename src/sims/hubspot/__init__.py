"""HubSpot CRM API simulator (v3 objects, search, properties, schemas; v4 associations).

Entry points: ``sims.hubspot.app.create_app(HubSpotSimConfig)`` for an in-process ASGI app
(state at ``app.state.sim``) and the ``hubspot-sim`` console script (``sims.hubspot.cli``).
Behaviour follows ``shared/reference/hubspot-api.md``; every [assumed] text or number is a
constant in the module that uses it (mostly ``errors.py``).
"""
