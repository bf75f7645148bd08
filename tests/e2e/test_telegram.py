"""Telegram end to end: the real Rasa and action servers against a stand-in Bot API on loopback."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from bot import config
from bot.channels import telegram
from bot.content import answers, replies
from bot.safety import escalations
from bot.stores import records
from tests import servers
from tests.telegram_fake import SECRET, TOKEN, USERNAME, FakeTelegram, callback_update, keyboards, message_update

CREDENTIALS = """\
bot.channels.rest.RestInput:
bot.channels.telegram.TelegramInput:
  access_token: ${TELEGRAM_TOKEN}
  verify: ${TELEGRAM_VERIFY}
  webhook_url: ${TELEGRAM_WEBHOOK_URL}
  secret_token: ${TELEGRAM_SECRET_TOKEN}
  base_url: ${TELEGRAM_API_URL}
  set_webhook: true
"""


WEBHOOK_URL = "https://alliance.example.org/webhooks/telegram/webhook"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("e2e-telegram")
    db = answers.build_database(config.answers_source(), workdir / "answers.db")
    api = FakeTelegram()
    credentials = workdir / "credentials.yml"
    credentials.write_text(CREDENTIALS)
    env = {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_VERIFY": USERNAME,
        "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_URL": api.url,
    }
    try:
        with pytest.MonkeyPatch.context() as mp:  # only the spawned servers see these
            for key, value in env.items():
                mp.setenv(key, value)
            # servers.start passes `--credentials credentials.yml`; argparse keeps the last one: ours.
            pair = servers.start(workdir, db, ("--credentials", str(credentials)))
    except Exception:
        api.stop()
        raise
    yield pair, api, answers.AnswerStore(db)
    pair.stop_all()
    api.stop()


def post(
    pair: servers.Servers, payload: Any, secret: str | None = SECRET, raw: bytes | None = None
) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[telegram.SECRET_HEADER] = secret
    data = raw if raw is not None else json.dumps(payload).encode()
    return requests.post(f"{pair.rasa_url}/webhooks/telegram/webhook", data=data, headers=headers, timeout=180)


def sent_texts(bodies: list[dict[str, Any]]) -> str:
    return "\n".join(b.get("text", "") for b in bodies)


@pytest.mark.e2e
def test_webhook_is_registered_with_the_secret_at_start(live) -> None:
    pair, api, _ = live
    deadline = time.monotonic() + 60  # registration runs just after the server starts listening
    while not api.since(method="setWebhook") and time.monotonic() < deadline:
        time.sleep(0.5)
    calls = api.since(method="setWebhook")
    assert len(calls) == 1 and calls[0]["url"] == WEBHOOK_URL and calls[0]["secret_token"] == SECRET
    assert api.since(method="getMe") and not api.bad_paths
    health = requests.get(f"{pair.rasa_url}/webhooks/telegram/", timeout=30)
    assert health.status_code == 200 and health.json() == {"status": "ok"}


@pytest.mark.e2e
def test_an_answer_with_buttons_then_tell_more(live) -> None:
    pair, api, store = live
    chat = 1001
    mark = api.mark()
    r = post(pair, message_update("can I text my therapist?", chat_id=chat, update_id=1001))
    assert r.status_code == 200
    sent = api.since(mark, "sendMessage")
    assert sent and all(b["chat_id"] == chat and "parse_mode" not in b for b in sent)
    assert store.get("faq_texting").short in sent_texts(sent)
    buttons = keyboards(sent)
    assert buttons[0] == {"text": "Tell me more", "callback_data": "/affirm"}
    assert "/faq_boundaries" in [b["callback_data"] for b in buttons]

    mark = api.mark()
    r = post(pair, callback_update("/affirm", chat_id=chat, update_id=1002, query_id="cb-1002"))
    assert r.status_code == 200
    assert api.since(mark, "answerCallbackQuery") == [{"callback_query_id": "cb-1002"}]
    assert store.get("faq_texting").more in sent_texts(api.since(mark, "sendMessage"))


@pytest.mark.e2e
def test_not_helpful_from_the_inline_keyboard_is_recorded(live) -> None:
    pair, api, store = live
    chat, texting = 1007, store.get("faq_texting")
    db = pair.records_db
    mark = api.mark()
    assert post(pair, message_update("can I text my therapist?", chat_id=chat, update_id=1007)).status_code == 200
    buttons = keyboards(api.since(mark, "sendMessage"))
    assert buttons[-2:] == [
        {"text": "Helpful", "callback_data": "/feedback_helpful"},
        {"text": "Not helpful", "callback_data": "/feedback_not_helpful"},
    ]

    before = len(records.rows("votes", db))
    mark = api.mark()
    press = callback_update("/feedback_not_helpful", chat_id=chat, update_id=1008, query_id="cb-1008")
    assert post(pair, press).status_code == 200
    assert api.since(mark, "answerCallbackQuery") == [{"callback_query_id": "cb-1008"}]
    sent = api.since(mark, "sendMessage")
    assert sent_texts(sent) == replies.VOTE_SORRY and all(b["chat_id"] == chat for b in sent)
    offered = [b["callback_data"] for b in keyboards(sent)]
    assert offered[-1] == "/ask_again" and f"/{texting.related[0]}" in offered

    votes = records.rows("votes", db)
    assert len(votes) == before + 1
    assert servers.vote_fields(votes[-1]) == servers.expected_vote("telegram", texting, records.NOT_HELPFUL)


@pytest.mark.e2e
def test_start_command_greets(live) -> None:
    pair, api, _ = live
    mark = api.mark()
    assert post(pair, message_update("/start", chat_id=1005, update_id=1005)).status_code == 200
    assert "Ask me something like" in sent_texts(api.since(mark, "sendMessage"))


@pytest.mark.e2e
@pytest.mark.parametrize("secret", ["wrong-secret", None], ids=["wrong", "missing"])
def test_updates_without_the_secret_are_refused(live, secret: str | None) -> None:
    pair, api, _ = live
    chat = 1002 if secret else 1003
    mark = api.mark()
    r = post(pair, message_update("can I text my therapist?", chat_id=chat, update_id=chat), secret=secret)
    assert r.status_code == 403
    assert api.mark() == mark
    tracker = requests.get(
        f"{pair.rasa_url}/conversations/telegram:{chat}/tracker", params={"token": pair.token}, timeout=30
    ).json()
    assert not [e for e in tracker.get("events", []) if e.get("event") == "user"]


@pytest.mark.e2e
def test_malformed_json_is_a_400(live) -> None:
    pair, api, _ = live
    mark = api.mark()
    r = post(pair, None, raw=b'{"update_id": 1, "message": ')
    assert r.status_code == 400 and "JSON" in r.json()["error"]
    assert post(pair, {"update_id": 5, "edited_message": {}}).json() == {"status": "ignored"}
    assert api.mark() == mark


@pytest.mark.e2e
def test_crisis_message_gets_the_numbers_and_no_dial_buttons(live) -> None:
    pair, api, _ = live
    chat = 1004
    mark = api.mark()
    assert post(pair, message_update("i want to kill myself", chat_id=chat, update_id=1004)).status_code == 200
    sent = api.since(mark, "sendMessage")
    assert "9-1-1" in sent_texts(sent) and all(b["chat_id"] == chat for b in sent)
    assert not [b for b in keyboards(sent) if b["callback_data"].lower().startswith(("tel:", "sms:"))]
    rows = [r for r in escalations.rows(pair.escalations_db) if r["conversation_id"] == f"telegram:{chat}"]
    assert len(rows) == 1 and rows[0]["channel"] == "telegram"


@pytest.mark.e2e
def test_message_text_and_token_stay_out_of_the_log(live) -> None:
    pair, api, _ = live
    mark = api.mark()
    assert post(pair, message_update("a quite singular telegram sentence", chat_id=1006, update_id=1006)).ok
    assert api.since(mark, "sendMessage")
    log = Path(pair.log).read_text(errors="replace")
    assert "singular telegram sentence" not in log and TOKEN not in log and SECRET not in log
