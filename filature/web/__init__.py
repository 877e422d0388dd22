"""The investigators' web app: FastAPI pages over the analytical store, served on this machine.

Nothing happens at import time: ``create_app`` builds an app for one store and ``serve``
runs it with uvicorn (``filature serve``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from filature.settings import Settings


def create_app(db_path: Path | str, settings: Settings | None = None) -> FastAPI:
    """The web app for the store at ``db_path`` (see ``filature.web.app``)."""
    from filature.web.app import create_app as factory

    return factory(db_path, settings)


def serve(db_path: Path | str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the app with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(db_path), host=host, port=port, log_level="warning")


__all__ = ["create_app", "serve"]
