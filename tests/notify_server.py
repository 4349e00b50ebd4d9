"""A small GOV.UK Notify on loopback: the part of Notify's published API the portal uses.

It speaks real HTTP to the official client (never patched): POST /v2/notifications/sms,
GET /v2/notifications/<id>, GET /v2/notifications (?reference=, ?template_type=, ?older_than=)
and GET /v2/received-text-messages (?older_than=). It checks the JSON Web Token the client
signs (HS256 with the key's secret, `iss` the service id, `iat` within 30 seconds of this
process's clock, which is the tests' clock too) and answers as Notify does: 403 AuthError for a
bad token, 400 ValidationError for a number that is not a UK mobile, 400 BadRequestError for an
unknown template or a missing personalisation, with Notify's error shapes.

Tests read `sent` (what it was asked to send), set a text's status (`set_status`), add texts
people sent (`receive`), make the next requests fail (`fail_next`), and `stop()` and `start()`
it again on the same port.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime

import jwt
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SERVICE_ID = "2b1c1e0a-3c6e-4bf5-9d5a-0d3c5f7a1e11"
SECRET = "9a0f6c3e-5b7d-4c2a-8e1f-6d4b3a2c1e0f"
API_KEY = f"portal_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
SENDER_ID = "8e222534-7f05-4972-86e3-17c5d9f894e2"
UK_MOBILE = re.compile(r"^(?:\+?44|0)7\d{9}$")
PAGE_SIZE = 250


def _error(status: int, error: str, message: str) -> Response:
    body = {"status_code": status, "errors": [{"error": error, "message": message}]}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _stamp(instant: datetime | None = None) -> str:
    return (instant or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NotifyServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.lock = threading.Lock()
        self.page_size = PAGE_SIZE
        self._server = None
        self._thread: threading.Thread | None = None
        self.reset()

    # --- control from the tests ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def config(self) -> dict:
        """The portal's configuration pointing at this server."""
        return {
            "NOTIFY_API_KEY": API_KEY,
            "NOTIFY_BASE_URL": self.base_url,
            "NOTIFY_SMS_TEMPLATE_ID": TEMPLATE_ID,
            "NOTIFY_SMS_SENDER_ID": SENDER_ID,
            "NOTIFY_TIMEOUT": 5,
        }

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.sent: list[dict] = []  # every text accepted, oldest first
            self.received: list[dict] = []  # texts people sent, oldest first
            self.requests: list[tuple[str, str]] = []  # (method, path) of every request
            self.refused: list[dict] = []  # (status, body) of every refusal
            self.failures: list[int] = []  # statuses to answer the next requests with
            self.page_size = PAGE_SIZE

    def start(self) -> None:
        if self._server is not None:
            return
        self._server = make_server(self.host, self.port, self._app, threaded=True)
        self.port = self._server.port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` requests with `status` (Notify's error shape)."""
        with self.lock:
            self.failures.extend([status] * times)

    def set_status(self, notify_id: str, status: str) -> None:
        with self.lock:
            for text in self.sent:
                if text["id"] == notify_id:
                    text["status"] = status
                    if status in ("delivered", "permanent-failure", "temporary-failure"):
                        text["completed_at"] = _stamp()
                    return
        raise KeyError(notify_id)

    def receive(self, from_number: str, content: str, *, created_at: datetime | None = None) -> str:
        """A text someone sent to the service's number; returns its Notify id."""
        item = {
            "id": str(uuid.uuid4()),
            "user_number": from_number,
            "notify_number": "07700900000",
            "created_at": _stamp(created_at),
            "service_id": SERVICE_ID,
            "content": content,
        }
        with self.lock:
            self.received.append(item)
        return item["id"]

    def texts_to(self, number: str) -> list[dict]:
        with self.lock:
            return [text for text in self.sent if text["phone_number"] == number]

    # --- the API ------------------------------------------------------------------------------

    def _check_token(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return _error(401, "AuthError", "Unauthorized: authentication token must be provided")
        token = header.removeprefix("Bearer ").strip()
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            if unverified.get("iss") != SERVICE_ID:
                return _error(403, "AuthError", "Invalid token: service not found")
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.PyJWTError:
            return _error(403, "AuthError", "Invalid token: signature, api token not found")
        issued = claims.get("iat")
        if not isinstance(issued, int | float) or abs(time.time() - issued) > 30:
            return _error(
                403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
            )
        return None

    @Request.application
    def _app(self, request: Request) -> Response:
        with self.lock:
            self.requests.append((request.method, request.path))
            failure = self.failures.pop(0) if self.failures else None
        refusal = self._check_token(request)
        if refusal is None and failure is not None:
            words = "Exceeded rate limit" if failure == 429 else "Internal server error"
            refusal = _error(failure, "RateLimitError" if failure == 429 else "ServerError", words)
        if refusal is None:
            refusal = self._route(request)
        if refusal.status_code >= 400:
            with self.lock:
                self.refused.append({"status": refusal.status_code, "body": refusal.get_data(True)})
        return refusal

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if request.method == "POST" and path == "/v2/notifications/sms":
            return self._send_sms(request)
        if request.method == "GET" and path == "/v2/notifications":
            return self._list(request)
        if request.method == "GET" and path.startswith("/v2/notifications/"):
            return self._one(path.rsplit("/", 1)[1])
        if request.method == "GET" and path == "/v2/received-text-messages":
            return self._received(request)
        return _error(404, "BadRequestError", "Not found")

    def _send_sms(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "BadRequestError", "Invalid JSON supplied in POST data")
        number = re.sub(r"[\s()\-.]", "", str(body.get("phone_number") or ""))
        if not UK_MOBILE.match(number):
            return _error(400, "ValidationError", "phone_number Not a UK mobile number")
        if body.get("template_id") != TEMPLATE_ID:
            return _error(400, "BadRequestError", "Template not found")
        personalisation = body.get("personalisation") or {}
        if not isinstance(personalisation, dict) or "body" not in personalisation:
            return _error(400, "BadRequestError", "Missing personalisation: body")
        sender = body.get("sms_sender_id")
        if sender is not None and sender != SENDER_ID:
            return _error(
                400, "BadRequestError", f"sms_sender_id {sender} does not exist in database"
            )
        text = {
            "id": str(uuid.uuid4()),
            "reference": body.get("reference"),
            "phone_number": body.get("phone_number"),
            "template_id": body.get("template_id"),
            "personalisation": personalisation,
            "sms_sender_id": sender,
            "body": str(personalisation["body"]),
            "status": "created",
            "created_at": _stamp(),
            "sent_at": None,
            "completed_at": None,
        }
        with self.lock:
            self.sent.append(text)
        answer = {
            "id": text["id"],
            "reference": text["reference"],
            "content": {"body": text["body"], "from_number": "GOVUK"},
            "uri": f"{self.base_url}/v2/notifications/{text['id']}",
            "template": {"id": TEMPLATE_ID, "version": 1, "uri": ""},
        }
        return _json(answer, 201)

    def _shown(self, text: dict) -> dict:
        return {
            "id": text["id"],
            "reference": text["reference"],
            "phone_number": text["phone_number"],
            "type": "sms",
            "status": text["status"],
            "template": {"id": TEMPLATE_ID, "version": 1, "uri": ""},
            "body": text["body"],
            "created_at": text["created_at"],
            "sent_at": text["sent_at"],
            "completed_at": text["completed_at"],
        }

    def _one(self, notify_id: str) -> Response:
        with self.lock:
            found = next((t for t in self.sent if t["id"] == notify_id), None)
        if found is None:
            return _error(404, "NoResultFound", "No result found")
        return _json(self._shown(found))

    def _list(self, request: Request) -> Response:
        reference = request.args.get("reference")
        kind = request.args.get("template_type")
        with self.lock:
            texts = [
                self._shown(t)
                for t in reversed(self.sent)
                if (reference is None or t["reference"] == reference) and (kind in (None, "sms"))
            ]
        return _json({"notifications": texts[: self.page_size], "links": {"current": ""}})

    def _received(self, request: Request) -> Response:
        older_than = request.args.get("older_than")
        with self.lock:
            newest_first = list(reversed(self.received))
        if older_than:
            ids = [item["id"] for item in newest_first]
            if older_than not in ids:
                return _json({"received_text_messages": [], "links": {"current": ""}})
            newest_first = newest_first[ids.index(older_than) + 1 :]
        page = newest_first[: self.page_size]
        links = {"current": f"{self.base_url}/v2/received-text-messages"}
        if len(newest_first) > self.page_size:
            links["next"] = f"{links['current']}?older_than={page[-1]['id']}"
        return _json({"received_text_messages": page, "links": links})
