"""A stand-in for Telegram's Bot API on loopback, and the updates Telegram sends."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.channels.telegram import TelegramInput

TOKEN = "123456:TEST-token_abc"
USERNAME = "alliance_test_bot"
SECRET = "s3cret-Token_for-tests"


class FakeTelegram:
    """A real HTTP server on loopback that answers like the Bot API and records every call."""

    def __init__(self, token: str = TOKEN, username: str = USERNAME, failing: tuple[str, ...] = ()) -> None:
        self.token, self.username, self.failing = token, username, set(failing)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.bad_paths: list[str] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake._record(self, raw)

            def log_message(self, *args: Any) -> None:  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def _record(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        prefix = f"/bot{self.token}/"
        if not handler.path.startswith(prefix):
            with self._lock:
                self.bad_paths.append(handler.path)
            return self._reply(handler, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = handler.path[len(prefix) :]
        body = json.loads(raw or b"{}")
        with self._lock:
            self.calls.append((method, body))
            count = len(self.calls)
        if method in self.failing:
            return self._reply(handler, 400, {"ok": False, "error_code": 400, "description": "Bad Request: test"})
        result: Any = True
        if method == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "Alliance", "username": self.username}
        elif method == "sendMessage":
            result = {"message_id": count, "date": 0, "chat": {"id": body.get("chat_id")}, "text": body.get("text")}
        self._reply(handler, 200, {"ok": True, "result": result})

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int = 0, method: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [body for name, body in self.calls[mark:] if method is None or name == method]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def channel(base_url: str, **overrides: Any) -> TelegramInput:
    settings = {
        "access_token": TOKEN,
        "verify": USERNAME,
        "webhook_url": "https://bot.example.org/webhooks/telegram/webhook",
        "secret_token": SECRET,
        "base_url": base_url,
    }
    settings.update(overrides)
    return TelegramInput.from_credentials(settings)


def message_update(text: str, chat_id: int = 42, update_id: int = 1, chat_type: str = "private") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 7,
            "date": 0,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Test"},
            "chat": {"id": chat_id, "type": chat_type},
            "text": text,
        },
    }


def callback_update(data: str, chat_id: int = 42, update_id: int = 2, query_id: str = "cb-1") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Test"},
            "message": {"message_id": 8, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": "offer"},
            "chat_instance": "1",
            "data": data,
        },
    }


def keyboards(bodies: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
    """Every inline keyboard button sent, in order."""
    return [b for body in bodies for row in body.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
