"""The web application of ``pseudoprog serve``: server-rendered pages and the JSON API.

An adapter over the core and the store: nothing clinical is computed in a route.
"""

from __future__ import annotations

from pseudoprog.web.app import create_app

__all__ = ["create_app"]
