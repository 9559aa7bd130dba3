"""The Deployments page's parts: cached reads (``data``), what it shows (``view``, ``charts``)
and what those allowed to deploy can do there (``actions``)."""
