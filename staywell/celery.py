"""The Celery application: broker and results in Redis, settings from Django's CELERY_*."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "staywell.settings")

app = Celery("staywell", task_cls="staywell.tasks:ReliableTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
