"""Storage: the only package that speaks SQL. ``Database`` owns the connections;
``Repositories`` groups the queries, one class per table family."""
from storage.database import Database, upgrade
from storage.repositories import Repositories

__all__ = ["Database", "Repositories", "upgrade"]
