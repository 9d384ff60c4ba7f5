"""The PostgreSQL backend: the same repositories and ports as SQLite, over psycopg 3."""
