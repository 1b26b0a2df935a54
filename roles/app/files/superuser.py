# Run by the release step as `manage.py shell --command "$(cat superuser.py)"`, with the
# DJANGO_SUPERUSER_* variables of release.env. A missing superuser is made by Django's own
# `createsuperuser --noinput`; an existing one gets the password, the e-mail and the staff and
# superuser flags of the inventory. Nothing secret is printed.
import os

from django.contrib.auth import get_user_model
from django.core.management import call_command

User = get_user_model()
name = os.environ["DJANGO_SUPERUSER_" + User.USERNAME_FIELD.upper()]
user = User._default_manager.filter(**{User.USERNAME_FIELD: name}).first()
if user is None:
    call_command("createsuperuser", interactive=False, verbosity=0)
    print("superuser: created")
else:
    changed = []
    if not user.check_password(os.environ["DJANGO_SUPERUSER_PASSWORD"]):
        user.set_password(os.environ["DJANGO_SUPERUSER_PASSWORD"])
        changed.append("password")
    email_field, email = User.get_email_field_name(), os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
    if email and email_field != User.USERNAME_FIELD and getattr(user, email_field, email) != email:
        setattr(user, email_field, email)
        changed.append("e-mail")
    for flag in ("is_staff", "is_superuser", "is_active"):
        if getattr(user, flag, True) is not True:
            setattr(user, flag, True)
            changed.append(flag)
    if changed:
        user.save()
    print("superuser: " + (("updated " + ", ".join(changed)) if changed else "unchanged"))
