"""The demo app's own tests: health, JWT-protected REST, media upload, WebSockets."""

from __future__ import annotations

import os
import tempfile

from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, TransactionTestCase, override_settings
from messaging.routing import websocket_urlpatterns
from rest_framework.test import APIClient

BROKEN_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


class HealthTests(TestCase):
    def test_ok_when_database_and_cache_answer(self) -> None:
        response = self.client.get("/api/health/")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["checks"], {"database": "ok", "redis": "ok"})

    @override_settings(CACHES=BROKEN_REDIS)
    def test_503_when_redis_is_down(self) -> None:
        response = self.client.get("/api/health/")
        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertEqual(body["status"], "error")
        self.assertEqual(body["checks"]["database"], "ok")
        self.assertTrue(body["checks"]["redis"].startswith("error: "))

    def test_503_when_the_database_is_down(self) -> None:
        from unittest import mock

        with mock.patch("common.views.connection.cursor", side_effect=OSError("refused")):
            response = self.client.get("/api/health/")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["checks"]["database"], "error: OSError")


class ApiTests(TestCase):
    def setUp(self) -> None:
        get_user_model().objects.create_user("seller1", password="s3ller-password")
        self.client = APIClient()

    def token(self) -> str:
        response = self.client.post("/api/token/", {"username": "seller1", "password": "s3ller-password"})
        self.assertEqual(response.status_code, 200)
        return response.json()["access"]

    def test_listings_need_a_token(self) -> None:
        self.assertEqual(self.client.get("/api/seller/listings/").status_code, 401)

    def test_wrong_password_gets_no_token(self) -> None:
        response = self.client.post("/api/token/", {"username": "seller1", "password": "nope"})
        self.assertEqual(response.status_code, 401)

    def test_create_and_list_with_a_token(self) -> None:
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token()}")
        created = self.client.post("/api/seller/listings/", {"title": "Cabin", "price": "125000.00"})
        self.assertEqual(created.status_code, 201)
        listed = self.client.get("/api/seller/listings/").json()
        self.assertEqual([item["title"] for item in listed], ["Cabin"])
        self.assertEqual(listed[0]["seller"], "seller1")

    def test_media_upload(self) -> None:
        with tempfile.TemporaryDirectory() as media, self.settings(MEDIA_ROOT=media):
            self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token()}")
            upload = SimpleUploadedFile("photo.txt", b"hello", content_type="text/plain")
            response = self.client.post("/api/media/", {"file": upload}, format="multipart")
            self.assertEqual(response.status_code, 201)
            url = response.json()["url"]
            self.assertTrue(url.startswith("/media/uploads/") and url.endswith(".txt"))
            self.assertTrue(os.path.exists(os.path.join(media, url.removeprefix("/media/"))))


class WebSocketTests(TransactionTestCase):
    async def test_echo(self) -> None:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/echo/")
        connected, _ = await communicator.connect()
        self.assertTrue(connected)
        await communicator.send_to(text_data="ping-42")
        self.assertEqual(await communicator.receive_from(), "ping-42")
        await communicator.disconnect()

    async def test_room_broadcasts_to_every_member(self) -> None:
        self.assertIsNotNone(get_channel_layer())
        app = URLRouter(websocket_urlpatterns)
        alice = WebsocketCommunicator(app, "/ws/rooms/lobby/")
        bob = WebsocketCommunicator(app, "/ws/rooms/lobby/")
        self.assertTrue((await alice.connect())[0])
        self.assertTrue((await bob.connect())[0])
        await alice.send_json_to({"message": "hello"})
        self.assertEqual((await bob.receive_json_from())["message"], "hello")
        self.assertEqual((await alice.receive_json_from())["message"], "hello")
        await alice.disconnect()
        await bob.disconnect()

    async def test_bad_room_name_is_not_routed(self) -> None:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/rooms/a b/")
        with self.assertRaises(ValueError):
            await communicator.connect()
