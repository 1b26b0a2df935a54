from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.stale_images import FilterModule, stale_images

# Shape of community.docker.docker_host_info's `images` (trimmed to the fields used).
IMAGES = [
    {"Id": "sha256:a", "RepoTags": ["pdezzy-app:v1"], "Created": 1_700_000_100},
    {"Id": "sha256:b", "RepoTags": ["pdezzy-app:v2"], "Created": 1_700_000_200},
    {"Id": "sha256:c", "RepoTags": ["pdezzy-app:v3"], "Created": 1_700_000_300},
    {"Id": "sha256:d", "RepoTags": ["pdezzy-app:v4"], "Created": 1_700_000_400},
    {"Id": "sha256:e", "RepoTags": ["<none>:<none>"], "Created": 1_700_000_500},
]


def test_keeps_the_newest_and_returns_the_rest_newest_first() -> None:
    assert stale_images(IMAGES, keep=2) == ["pdezzy-app:v2", "pdezzy-app:v1"]


def test_protected_reference_counts_towards_keep() -> None:
    # v1 is running (rollback target): it stays, and only one more (the newest) is kept.
    assert stale_images(IMAGES, keep=2, protect=["pdezzy-app:v1"]) == ["pdezzy-app:v3", "pdezzy-app:v2"]


def test_nothing_to_prune_when_keep_covers_everything() -> None:
    assert stale_images(IMAGES, keep=10) == []


def test_untagged_images_are_ignored() -> None:
    assert "<none>:<none>" not in stale_images(IMAGES, keep=1)


def test_one_image_with_two_tags() -> None:
    images = [{"RepoTags": ["app:a", "app:b"], "Created": 5}, {"RepoTags": ["app:c"], "Created": 1}]
    assert stale_images(images, keep=2) == ["app:c"]


def test_empty_list() -> None:
    assert stale_images([], keep=3) == []


@pytest.mark.parametrize("keep", [0, -1, True, "3"])
def test_bad_keep_is_refused(keep: object) -> None:
    with pytest.raises(ValueError, match="keep must be an integer"):
        stale_images(IMAGES, keep=keep)  # type: ignore[arg-type]


@pytest.mark.parametrize("images", [None, "pdezzy-app:v1", {"RepoTags": []}])
def test_non_list_input_is_refused(images: object) -> None:
    with pytest.raises(TypeError, match="expects a list"):
        stale_images(images)


def test_non_mapping_entry_is_refused() -> None:
    with pytest.raises(TypeError, match="mapping"):
        stale_images(["pdezzy-app:v1"])


def test_filter_is_registered() -> None:
    assert FilterModule().filters()["stale_images"] is stale_images
