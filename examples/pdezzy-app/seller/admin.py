from django.contrib import admin

from .models import Listing

admin.site.register(Listing)
