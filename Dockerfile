# Production image: gunicorn serves the app; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
# WeasyPrint needs Pango; DejaVu gives the PDFs a complete Latin font, Noto the names
# in Chinese, Japanese, Korean and emoji.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
        fonts-noto-cjk fonts-noto-color-emoji \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY staywell ./staywell
COPY accounts ./accounts
COPY claims ./claims
COPY vesting ./vesting
COPY reports ./reports
COPY templates ./templates
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && SECRET_KEY=build FIELD_ENCRYPTION_KEY=build DATABASE_URL=postgres://build/build REDIS_URL=redis://build:6379/0 \
       python manage.py collectstatic --no-input \
    && useradd --create-home staywell
USER staywell
EXPOSE 8000
CMD ["gunicorn", "staywell.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
