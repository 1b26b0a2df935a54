"""WebSocket endpoints: an echo, and rooms that broadcast through the channel layer."""

from __future__ import annotations

import json
import socket
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer


class EchoConsumer(AsyncWebsocketConsumer):
    """Sends every text frame straight back."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None:
            await self.send(text_data=text_data)
        elif bytes_data is not None:
            await self.send(bytes_data=bytes_data)


class RoomConsumer(AsyncJsonWebsocketConsumer):
    """Members of /ws/rooms/<name>/ receive every message sent to the room, whichever replica serves them."""

    async def connect(self) -> None:
        self.room = "room." + self.scope["url_route"]["kwargs"]["room"]
        await self.channel_layer.group_add(self.room, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.room, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        message = {"type": "room.message", "message": content.get("message"), "from": socket.gethostname()}
        await self.channel_layer.group_send(self.room, message)

    async def room_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"message": event["message"], "from": event["from"]}))
