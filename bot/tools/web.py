"""Serves the chat widget and its demo page (`make serve`, port WEB_PORT, default 8080)."""

from __future__ import annotations

import argparse
import functools
import logging
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot import config

logger = logging.getLogger(__name__)
WEB_DIR = config.ROOT / "web"


class Handler(SimpleHTTPRequestHandler):
    """Static files with headers that keep browsers from guessing types or framing the page."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript; charset=utf-8"}

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # paths only, at debug level
        logger.debug(format, *args)


def serve(host: str, port: int, directory: Path = WEB_DIR) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), functools.partial(Handler, directory=str(directory)))
    logger.info("widget demo on http://%s:%d/", host, port)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    serve(args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()
