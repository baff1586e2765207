"""The JSON API's shapes, declared once (pydantic): request bodies are validated from these
models and the OpenAPI document (blueprints/openapi.py) is built from the same models."""
