from django.urls import path, re_path

from .consumers import EchoConsumer, RoomConsumer

websocket_urlpatterns = [
    path("ws/echo/", EchoConsumer.as_asgi()),
    re_path(r"^ws/rooms/(?P<room>[A-Za-z0-9_-]{1,64})/$", RoomConsumer.as_asgi()),
]
