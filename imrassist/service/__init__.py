"""The HTTP service and web page: a thin layer over the library (``imrassist serve``).

:func:`imrassist.service.app.create_app` builds the ASGI app; :func:`imrassist.service.run.serve` starts it
on uvicorn with the safety rules (loopback unless a bearer token is set). Every endpoint calls the same
library functions as the CLI and returns the same JSON; see docs/service.md.
"""

from __future__ import annotations

__all__ = ["create_app", "serve"]


def __getattr__(name: str):  # lazy: `import imrassist.service` must not pull in FastAPI
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "serve":
        from .run import serve

        return serve
    raise AttributeError(name)
