"""A Redis lock store whose every change to a conversation's lock is one atomic step.

Rasa's RedisLockStore keeps a conversation's ticket lock as JSON under one key and
changes it by reading it, changing it in Python and writing it back: issuing a
ticket, dropping expired ones while waiting, and handing the lock on are each a read
and a write that another server process can come between. Two processes that take
two messages of one conversation at the same instant can both read an empty lock and
both be issued ticket 0, so both go ahead at once. This store makes each of those
changes in one Lua script, on the same JSON, with Rasa's own rules for expiry and
order; reading the lock is Rasa's. A lock also expires a minute after its last
ticket would, so a process that dies holding one leaves nothing behind for ever, and a
waiter renews its own ticket while it waits, so it is served after a holder that died.
Where the serving fixes don't apply
(bot/serving/guard.py) it is Rasa's RedisLockStore.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.serving import guard
from bot.stores.redis_connection import connection_kwargs

logger = logging.getLogger(__name__)

# The shared part: decode a lock (or start an empty one), keep the tickets that have not
# expired at ARGV[1] (Rasa drops a ticket once `time.time() > expires`), and encode one
# the way `TicketLock.dumps` does: tickets are JSON strings inside the JSON.
_COMMON = """
local now = tonumber(ARGV[1])
local raw = redis.call('GET', KEYS[1])
local conversation_id = ARGV[2]
local tickets = {}
if raw then
  local lock = cjson.decode(raw)
  conversation_id = lock.conversation_id
  if type(lock.tickets) == 'table' then
    for _, text in ipairs(lock.tickets) do
      local ticket = cjson.decode(text)
      if not (now > ticket.expires) then
        table.insert(tickets, {text = text, number = ticket.number})
      end
    end
  end
end
local function encode(kept)
  local texts = {}
  for _, ticket in ipairs(kept) do table.insert(texts, cjson.encode(ticket.text)) end
  return '{"conversation_id": ' .. cjson.encode(conversation_id)
    .. ', "tickets": [' .. table.concat(texts, ', ') .. ']}'
end
"""

# ARGV: now, conversation id, lifetime. Returns the new ticket's number.
ISSUE = (
    _COMMON
    + """
local number = 0
if #tickets > 0 then number = tickets[#tickets].number + 1 end
local expires = now + tonumber(ARGV[3])
local text = '{"number": ' .. number .. ', "expires": ' .. string.format('%.6f', expires) .. '}'
table.insert(tickets, {text = text, number = number})
redis.call('SET', KEYS[1], encode(tickets), 'EX', math.ceil(tonumber(ARGV[3])) + 60)
return number
"""
)

# ARGV: now, conversation id. Drops expired tickets (Rasa's `update_lock`).
UPDATE = (
    _COMMON
    + """
if raw then redis.call('SET', KEYS[1], encode(tickets), 'KEEPTTL') end
return #tickets
"""
)

# ARGV: now, conversation id, ticket. Rasa's `cleanup`: the ticket is done; the lock
# goes when nobody waits.
CLEANUP = (
    _COMMON
    + """
if not raw then return 0 end
local kept = {}
for _, ticket in ipairs(tickets) do
  if ticket.number ~= tonumber(ARGV[3]) then table.insert(kept, ticket) end
end
if #kept == 0 then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], encode(kept), 'KEEPTTL') end
return #kept
"""
)


# ARGV: now, conversation id, ticket, lifetime. A waiter that is still alive renews its own
# ticket (putting it back if it expired), so it never expires behind a holder that died.
RENEW = (
    _COMMON
    + """
if not raw then return -1 end
local number = tonumber(ARGV[3])
local expires = tonumber(ARGV[1]) + tonumber(ARGV[4])
local text = '{"number": ' .. number .. ', "expires": ' .. string.format('%.6f', expires) .. '}'
local found = false
for _, ticket in ipairs(tickets) do
  if ticket.number == number then ticket.text = text; found = true end
end
if not found then table.insert(tickets, {text = text, number = number}) end
table.sort(tickets, function(a, b) return a.number < b.number end)
redis.call('SET', KEYS[1], encode(tickets), 'EX', math.ceil(tonumber(ARGV[4])) + 60)
return #tickets
"""
)


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` with atomic changes; the same keys, JSON and ticket order."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """From `endpoints.yml` (Rasa passes the endpoint) or from keyword arguments."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        kwargs = connection_kwargs(kwargs.pop("host", None), kwargs)
        kwargs.pop("record_exp", None)
        super().__init__(**kwargs)
        self._issue = self.red.register_script(ISSUE)
        self._update = self.red.register_script(UPDATE)
        self._cleanup = self.red.register_script(CLEANUP)
        self._renew = self.red.register_script(RENEW)
        self._lifetimes: dict[tuple[str, int], float] = {}  # the tickets this process issued and waits on
        self.stock = not guard.fixes_apply()

    def _key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        if self.stock:
            return super().issue_ticket(conversation_id, lock_lifetime)
        arguments = [time.time(), conversation_id, lock_lifetime]
        try:
            ticket = int(self._issue(keys=[self._key(conversation_id)], args=arguments))
        except Exception as e:  # as Rasa's: any failure to get a ticket is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e
        self._lifetimes[(conversation_id, ticket)] = lock_lifetime
        return ticket

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> Any:
        """Rasa's wait for the turn, renewing this ticket at each try instead of only dropping expired ones.

        Rasa's waiter only drops expired tickets. When the holder's process dies mid-turn,
        its ticket expires; but the next message's ticket, issued a moment later with the
        same lifetime, expires a moment later too, usually before the waiter looks again:
        the lock is then left with no ticket and nobody is ever served, and the message is
        lost. A waiter that is alive keeps its ticket alive.
        """
        if self.stock:
            return await super()._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        lifetime = self._lifetimes.get((conversation_id, ticket), LOCK_LIFETIME)
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            self._renew(keys=[self._key(conversation_id)], args=[time.time(), conversation_id, ticket, lifetime])
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    def update_lock(self, conversation_id: str) -> None:
        if self.stock:
            return super().update_lock(conversation_id)
        self._update(keys=[self._key(conversation_id)], args=[time.time(), conversation_id])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self._lifetimes.pop((conversation_id, ticket_number), None)
        if self.stock:
            return super().cleanup(conversation_id, ticket_number)
        remaining = self._cleanup(keys=[self._key(conversation_id)], args=[time.time(), conversation_id, ticket_number])
        if not remaining:
            logger.debug("Deleted the lock of a conversation nobody waits on.")
