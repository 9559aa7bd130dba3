"""The Streamlit portal's shared part: navigation, cached data access, charts, components.

Imports go one way: ``pages → portal → backend``. Nothing here computes a model result; it
reads what the pipeline stored in the registry and puts it in plain words.
"""
