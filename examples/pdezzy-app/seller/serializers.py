from rest_framework import serializers

from .models import Listing


class ListingSerializer(serializers.ModelSerializer):
    seller = serializers.ReadOnlyField(source="seller.username")

    class Meta:
        model = Listing
        fields = ["id", "seller", "title", "price", "created_at"]
