"""The PostgreSQL backend: the same repositories and ports as SQLite, over psycopg 3.

What is shared and what is not:
- every repository (``storage/<repo>.py``) and its SQL text is shared; it is written against
  ``storage.sql.SqlConnection``, which aiosqlite's connection and ``connection.PostgresConnection``
  both provide (placeholders, rows and values translated there);
- the engines differ in a few named places, chosen by ``connection.dialect``: search
  (``storage.search.matching``: FTS5 ``MATCH`` or a tsquery over ``*_search`` tables), JSON
  inside text (``storage.sql.json_text_at``), survey answer counts (``storage.statistics``:
  ``json_each`` or ``jsonb_array_elements_text``), and compacting the search index (nothing to
  do here);
- here: the pool and the write path (``database``), the migrations and their runner
  (``migrations``, storage/migrations/postgres/), and the search index's lemmas, computed in
  Python before each commit (``search_index``).

The tests: a throw-away cluster per test process (tests/postgres.py); the contract suite runs on
both engines; ``SOUCHASTIE_TEST_STORAGE=postgresql`` puts every bot the end-to-end tests start
on PostgreSQL, and the end-to-end journeys run on both engines in every run (tests/README.md).
"""
