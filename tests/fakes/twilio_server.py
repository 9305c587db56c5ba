"""A fake Twilio REST API (the 2010-04-01 Messages, Calls and Account resources).

Form-encoded requests, HTTP Basic auth and Twilio's JSON resources and error bodies,
so the real `twilio` SDK runs unchanged once its HTTP client points here:

    with FakeTwilio() as fake:
        client = Client(ACCOUNT_SID, "token", http_client=RebasingHttpClient(fake.base_url))
        client.messages.create(to="+15550001111", from_="+15550002222", body="hi")
        fake.messages[0]["Body"]                    # "hi"
        fake.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

The SDK always builds `https://api.twilio.com/...` URLs; the app's Twilio client module
swaps scheme and host for the configured base URL.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from tests.fakes.local_server import FakeRequestHandler, FakeServer

__all__ = ["FakeTwilio", "TwilioError"]

API_VERSION = "2010-04-01"
Route = Literal["messages", "calls", "any"]

_ACCOUNT = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>AC[0-9a-fA-F]{{32}})\.json$")
_MESSAGES = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")
_MESSAGE = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")
_CALL = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Calls/(?P<sid>[^/]+)\.json$")
# E.164, optionally behind a channel prefix such as "whatsapp:".
_ADDRESS = re.compile(r"^(?:[a-z]+:)?\+[1-9]\d{1,14}$")
# Form fields Twilio accepts repeated; everything else is recorded as a single string.
_LIST_FIELDS = frozenset({"MediaUrl", "PersistentAction"})
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


@dataclass(frozen=True)
class TwilioError:
    status: int
    code: int
    message: str

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def new_sid(prefix: str) -> str:
    """Twilio SIDs are a two-letter type prefix and 32 lower-case hex digits."""
    return prefix + secrets.token_hex(16)


def num_segments(body: str) -> int:
    """Segments the way carriers bill them: GSM-7 160/153 chars, else UCS-2 70/67."""
    if not body:
        return 1
    single, multi = (160, 153) if set(body) <= _GSM7 else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // multi)


def _rfc2822_now() -> str:
    return format_datetime(datetime.now(UTC))  # "Thu, 24 Aug 2023 05:01:45 +0000"


class FakeTwilio(FakeServer):
    """Fake `https://api.twilio.com`. Thread-safe; recorded state is exposed as snapshots."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        # None: any AC.../SK... username with a non-empty password passes.
        # A dict enforces exact {username: password} pairs, like real credentials.
        self.credentials: dict[str, str] | None = None
        self._messages: list[dict[str, Any]] = []
        self._resources: dict[str, dict[str, Any]] = {}  # message sid -> JSON resource
        self._call_updates: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self._failures: deque[tuple[Route, TwilioError]] = deque()

    @property
    def base_url(self) -> str:
        return self.origin

    # -- scripting -----------------------------------------------------------------

    def fail_next(self, status: int, code: int, message: str, *, route: Route = "messages") -> None:
        """Make the next authenticated request on `route` fail with this Twilio error (FIFO)."""
        with self._cond:
            self._failures.append((route, TwilioError(status, code, message)))
            self._changed()

    def reset(self) -> None:
        with self._cond:
            self._messages.clear()
            self._resources.clear()
            self._call_updates.clear()
            self._requests.clear()
            self._failures.clear()
            self._changed()

    # -- recorded state --------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Accepted sends: the form fields plus "sid" and "account_sid"."""
        with self._cond:
            return [dict(m) for m in self._messages]

    @property
    def call_updates(self) -> list[dict[str, Any]]:
        """Accepted call updates: the form fields plus "call_sid" and "account_sid"."""
        with self._cond:
            return [dict(u) for u in self._call_updates]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request: {"method", "path", "headers" (lower-case keys), "form", "auth_username"}."""
        with self._cond:
            return list(self._requests)

    # -- used by the handler ----------------------------------------------------------

    def _record_request(self, entry: dict[str, Any]) -> None:
        with self._cond:
            self._requests.append(entry)
            self._changed()

    def _take_failure(self, route: Route) -> TwilioError | None:
        with self._cond:
            for index, (wanted, error) in enumerate(self._failures):
                if wanted in (route, "any"):
                    del self._failures[index]
                    self._changed()
                    return error
        return None

    def _check_auth(self, username: str | None, password: str | None, account_sid: str) -> bool:
        if not username or not password:
            return False
        if self.credentials is not None:
            return self.credentials.get(username) == password
        if username.startswith("AC"):
            # An account's own token cannot act on a different account.
            return username == account_sid
        return username.startswith("SK")

    def _message_sent(self, account_sid: str, form: dict[str, Any]) -> dict[str, Any]:
        sid = new_sid("SM")
        now = _rfc2822_now()
        body = form.get("Body") or ""
        media = form.get("MediaUrl") or []
        uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"
        resource = {
            "account_sid": account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": str(len(media)),
            "num_segments": str(num_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # A Messaging Service first "accepts" a message, then picks a sender and queues it.
            "status": "accepted" if form.get("MessagingServiceSid") and not form.get("From") else "queued",
            "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}/Media.json"},
            "to": form["To"],
            "uri": uri,
        }
        with self._cond:
            self._messages.append({**form, "sid": sid, "account_sid": account_sid})
            self._resources[sid] = resource
            self._changed()
        return resource

    def _message(self, sid: str) -> dict[str, Any] | None:
        with self._cond:
            return self._resources.get(sid)

    def _call_updated(self, account_sid: str, call_sid: str, form: dict[str, Any]) -> dict[str, Any]:
        now = _rfc2822_now()
        status = form.get("Status") or "in-progress"
        with self._cond:
            self._call_updates.append({**form, "call_sid": call_sid, "account_sid": account_sid})
            self._changed()
        base = f"/{API_VERSION}/Accounts/{account_sid}/Calls/{call_sid}"
        return {
            "account_sid": account_sid,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "direction": "inbound",
            "duration": None,
            "end_time": now if status in ("completed", "canceled") else None,
            "forwarded_from": None,
            "from": None,
            "from_formatted": None,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": call_sid,
            "start_time": now,
            "status": status,
            "subresource_uris": {
                "notifications": f"{base}/Notifications.json",
                "recordings": f"{base}/Recordings.json",
            },
            "to": None,
            "to_formatted": None,
            "trunk_sid": None,
            "uri": f"{base}.json",
        }


class _TwilioHandler(FakeRequestHandler):
    @property
    def fake(self) -> FakeTwilio:
        owner = self.server.owner
        assert isinstance(owner, FakeTwilio)
        return owner

    def do_GET(self) -> None:
        self._dispatch(form={})

    def do_POST(self) -> None:
        raw = self.read_body().decode()
        parsed = parse_qs(raw, keep_blank_values=True)
        form = {key: values if key in _LIST_FIELDS else values[-1] for key, values in parsed.items()}
        self._dispatch(form)

    # -- routing -------------------------------------------------------------------

    def _dispatch(self, form: dict[str, Any]) -> None:
        path = urlsplit(self.path).path
        username, password = self._basic_auth()
        self.fake._record_request(
            {
                "method": self.command,
                "path": path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "form": form,
                "auth_username": username,
            }
        )
        routes = [
            ("GET", _ACCOUNT, self._fetch_account),
            ("POST", _MESSAGES, self._create_message),
            ("GET", _MESSAGE, self._fetch_message),
            ("POST", _CALL, self._update_call),
        ]
        for method, pattern, view in routes:
            match = pattern.match(path)
            if match and method == self.command:
                account_sid = match["account"]
                if not self.fake._check_auth(username, password, account_sid):
                    self._send_twilio_error(
                        TwilioError(401, 20003, "Authenticate"),
                        {"WWW-Authenticate": 'Basic realm="Twilio API"'},
                    )
                    return
                view(account_sid, match.groupdict().get("sid"), form)
                return
        self._send_twilio_error(TwilioError(404, 20404, f"The requested resource {path} was not found"))

    def _basic_auth(self) -> tuple[str | None, str | None]:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None, None
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        username, _, password = decoded.partition(":")
        return username, password

    def _send_twilio_error(self, error: TwilioError, headers: dict[str, str] | None = None) -> None:
        body = error.body()
        if error.code == 20003:
            body["detail"] = "Your AccountSid or AuthToken was incorrect."
        self.send_json(error.status, body, headers)

    # -- resources -------------------------------------------------------------------

    def _fetch_account(self, account_sid: str, _sid: str | None, _form: dict[str, Any]) -> None:
        now = _rfc2822_now()
        base = f"/{API_VERSION}/Accounts/{account_sid}"
        self.send_json(
            200,
            {
                "auth_token": "redacted",
                "date_created": now,
                "date_updated": now,
                "friendly_name": "Fake Twilio account",
                "owner_account_sid": account_sid,
                "sid": account_sid,
                "status": "active",
                "subresource_uris": {
                    "messages": f"{base}/Messages.json",
                    "calls": f"{base}/Calls.json",
                },
                "type": "Full",
                "uri": f"{base}.json",
            },
        )

    def _create_message(self, account_sid: str, _sid: str | None, form: dict[str, Any]) -> None:
        error = self.fake._take_failure("messages") or _validate_message(form)
        if error is not None:
            self._send_twilio_error(error)
            return
        self.send_json(201, self.fake._message_sent(account_sid, form))

    def _fetch_message(self, account_sid: str, sid: str | None, _form: dict[str, Any]) -> None:
        resource = self.fake._message(sid or "")
        if resource is None or resource["account_sid"] != account_sid:
            path = urlsplit(self.path).path
            self._send_twilio_error(TwilioError(404, 20404, f"The requested resource {path} was not found"))
            return
        self.send_json(200, resource)

    def _update_call(self, account_sid: str, sid: str | None, form: dict[str, Any]) -> None:
        error = self.fake._take_failure("calls")
        if error is None and form.get("Status") not in (None, "canceled", "completed"):
            error = TwilioError(400, 20001, f"Invalid Status: {form['Status']}")
        if error is not None:
            self._send_twilio_error(error)
            return
        self.send_json(200, self.fake._call_updated(account_sid, sid or "", form))


def _validate_message(form: dict[str, Any]) -> TwilioError | None:
    """Twilio's checks, in Twilio's order, for the parameters the app sends."""
    to = form.get("To") or ""
    if not to:
        return TwilioError(400, 21604, "A 'To' phone number is required.")
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return TwilioError(400, 21603, "A 'From' phone number is required.")
    if not _ADDRESS.match(to):
        return TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    if not form.get("Body") and not form.get("ContentSid") and not form.get("MediaUrl"):
        return TwilioError(400, 21619, "A text message body or media urls must be specified.")
    if len(form.get("Body") or "") > 1600:
        return TwilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    return None


FakeTwilio.handler_class = _TwilioHandler
