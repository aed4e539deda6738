"""CivicMap's HTTP API (FastAPI). Build it with `api.app.create_app(settings)`."""
