"""A python-telegram-bot request class on aiohttp, for broadcasts at up to 1,000 messages a second.

PTB's default request (httpx) loses most of its throughput with many requests in flight (encode/
httpx issue 3215); broadcasts send through this class instead, handlers keep PTB's own.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# "This timeout was not passed": PTB's public marker (its type lives in a private module).
DEFAULT_NONE: Any = BaseRequest.DEFAULT_NONE


class AiohttpRequest(BaseRequest):
    def __init__(self, connections: int = 512, read_timeout: float = 15.0,
                 connect_timeout: float = 10.0) -> None:
        self.connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections, limit_per_host=0),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None,
        read_timeout: float | None = DEFAULT_NONE,
        write_timeout: float | None = DEFAULT_NONE,
        connect_timeout: float | None = DEFAULT_NONE,
        pool_timeout: float | None = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            await self.initialize()
        assert self._session is not None
        read = self._read_timeout if read_timeout is DEFAULT_NONE else read_timeout
        connect = self._connect_timeout if connect_timeout is DEFAULT_NONE else connect_timeout
        timeout = aiohttp.ClientTimeout(sock_read=read, sock_connect=connect,  # type: ignore[arg-type]
                                        total=None)
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, text in request_data.json_parameters.items():
                    form.add_field(name, text)
                for name, value in request_data.multipart_data.items():
                    if isinstance(value, tuple):
                        filename, content, mime = value[0], value[1], value[2]
                        form.add_field(name, content, filename=filename, content_type=mime)
                    else:
                        form.add_field(name, value)
                data = form
            else:
                data = request_data.json_parameters
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
