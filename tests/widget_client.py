"""A light client of a served page: the page over HTTP, then the kernel websocket speaking the widget
protocol. Used by the server tests (as a legitimate client and as an attacker holding a kernel id) and
by ``benchmarks/forms.py`` (a room of light clients: one box playing N Chromiums would measure Chromium).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import http.cookies
import json
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

KERNEL_ID = re.compile(r'"kernelId":\s*"([^"]+)"')


@dataclass
class PageLoad:
    """What a GET of a page returned: status, body, the kernel id in it and the cookies it set."""

    status: int
    html: str
    cookies: dict[str, str]

    @property
    def kernel_id(self) -> str | None:
        m = KERNEL_ID.search(self.html)
        return m.group(1) if m else None

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def load_page(url: str, timeout: float = 120.0, cookie: str | None = None) -> PageLoad:
    """GET ``url`` (errors included), keeping the cookies the server set."""
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        resp = e
    with resp:
        body = resp.read().decode("utf-8", "replace")
        jar: dict[str, str] = {}
        for raw in resp.headers.get_all("Set-Cookie") or []:
            c: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            c.load(raw)
            jar.update({k: m.value for k, m in c.items()})
        return PageLoad(resp.status, body, jar)


@dataclass
class Kernel:
    """One kernel websocket, speaking just enough of the Jupyter protocol for widgets."""

    ws: Any
    session: str = field(default_factory=lambda: uuid.uuid4().hex)

    async def send(self, msg_type: str, content: dict[str, Any], metadata: dict[str, Any] | None = None) -> None:
        msg = {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": self.session,
                          "username": "client", "date": dt.datetime.now(dt.timezone.utc).isoformat(),
                          "version": "5.3"},
               "parent_header": {}, "metadata": metadata or {}, "content": content, "channel": "shell",
               "buffers": []}
        await self.ws.send(json.dumps(msg))

    async def comm_msg(self, comm_id: str, data: dict[str, Any]) -> None:
        await self.send("comm_msg", {"comm_id": comm_id, "data": data})

    async def next_comm_msg(self) -> dict[str, Any]:
        while True:
            raw = await self.ws.recv()
            if isinstance(raw, bytes):
                continue
            msg = json.loads(raw)
            if msg.get("msg_type") == "comm_msg" or msg.get("header", {}).get("msg_type") == "comm_msg":
                return dict(msg["content"])

    async def request_states(self, timeout: float) -> dict[str, Any]:
        """Every widget model's state, as the page's widget manager asks for them on load."""
        control = uuid.uuid4().hex
        await self.send("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
                        {"version": "1.0.0"})
        await self.comm_msg(control, {"method": "request_states"})
        while True:
            c = await asyncio.wait_for(self.next_comm_msg(), timeout)
            if c["comm_id"] == control and c["data"].get("method") == "update_states":
                return dict(c["data"]["states"])


def channels_url(port: int, kernel_id: str) -> str:
    return f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"


def find_widget(states: dict[str, Any], css: str) -> str:
    """The model id of the widget carrying CSS class ``css`` (our named handles)."""
    for mid, s in states.items():
        if css in s["state"].get("_dom_classes", []):
            return mid
    raise LookupError(css)


def child_input(states: dict[str, Any], box_id: str) -> str:
    """The text area inside a prompt box."""
    for ref in states[box_id]["state"]["children"]:
        mid = ref.removeprefix("IPY_MODEL_")
        if states[mid]["model_name"] == "TextareaModel":
            return mid
    raise LookupError(box_id)
