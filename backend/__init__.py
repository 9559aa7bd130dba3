"""Greenlight's backend: the whole domain, usable from the CLI, the portal and tests.

The backend never imports Streamlit. Start from :class:`backend.app.App`, which ties the
settings, the database and the artifact store together.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
