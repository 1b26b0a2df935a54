from rest_framework import viewsets

from .models import Listing
from .serializers import ListingSerializer


class ListingViewSet(viewsets.ModelViewSet):
    """Listings of the authenticated seller (JWT required)."""

    serializer_class = ListingSerializer

    def get_queryset(self):  # noqa: ANN201
        return Listing.objects.filter(seller=self.request.user)

    def perform_create(self, serializer: ListingSerializer) -> None:
        serializer.save(seller=self.request.user)
