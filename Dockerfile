# Production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm

# WeasyPrint needs Pango (with HarfBuzz and FreeType) and real fonts to lay out PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY accounts ./accounts
COPY clients ./clients
COPY formulation ./formulation
COPY plans ./plans
RUN pip install --no-cache-dir .
COPY . .
# collectstatic needs keys and a mail backend to import settings; the real ones come from the
# environment at run time (dummymail:// sends nothing; DEBUG off refuses the console backend).
RUN DJANGO_SECRET_KEY=build-only AUDIT_HMAC_KEY=build-only EMAIL_URL=dummymail:// python manage.py collectstatic --noinput

RUN useradd --create-home psyplan && mkdir -p /srv/psyplan/private /srv/psyplan/audit && chown -R psyplan /srv/psyplan /app
USER psyplan
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
