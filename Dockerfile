# The dashboard's chart library, from npm (package-lock.json pins it; docs/insight.md).
FROM node:20-slim AS browser-code
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip
COPY . .
COPY --from=browser-code /build/node_modules/echarts/dist /app/node_modules/echarts/dist
RUN pip install --no-cache-dir . \
    && python manage.py compile_translations \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /app/media /app/outbox && chown -R app /app/media /app/outbox
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
